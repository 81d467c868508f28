#!/usr/bin/env python3
"""Golden numbers from PyTorch for test/golden/torch_golden.test.ts.

Run (from the repository root; needs torch, CPU is enough):

    /usr/bin/python3 scripts/golden/torch_golden.py

It writes test/golden/torch_golden.json: small deterministic cases in float64 (inputs, weights, forward
outputs and the gradients w.r.t. every input and parameter), built with PyTorch's own layers, functionals and
optimizers where the project claims to match them, and with the formulas of ../shared/reference/FISOR.md
(the official FISOR / IDQL code) for FISOR's pieces. The vitest test reads only the JSON, so CI needs no
Python. Re-running it gives the same file (fixed seeds; values are stored with repr's exact round trip).

Layout conventions (those of the TypeScript code, so the test loads the numbers as they are):
- A Linear weight is [in, out] (ours: x . W); PyTorch's nn.Linear weight is its transpose, so the cases run
  F.linear(x, W.T, b), which is exactly nn.Linear with weight = W.T.
- Ensemble layers: weight [n, in, out], bias [n, 1, out] (one batched product per layer).
- Every tensor is {"shape": [...], "data": [row-major floats]}.

Deliberate, documented differences from PyTorch's defaults (compared against the documented formula):
- LayerNorm eps defaults to 1e-6 in ours (flax.linen.LayerNorm, which the official FISOR code uses), 1e-5 in
  torch.nn.LayerNorm. The cases pass eps explicitly to F.layer_norm; the test checks our default is 1e-6.
- Linear init and LayerNorm parameter names differ (scale/bias, not weight/bias); only values matter here.
"""
import json
import math
import os
import sys
import warnings

warnings.filterwarnings('ignore', message='Failed to initialize NumPy')  # numpy is not needed
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_default_dtype(torch.float64)
DT = torch.float64
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'golden', 'torch_golden.json')


def T(x):
    """A tensor (or number) as {"shape", "data"}."""
    t = torch.as_tensor(x, dtype=DT).detach()
    return {'shape': list(t.shape), 'data': [float(v) for v in t.reshape(-1).tolist()]}


def leaf(t):
    return t.detach().clone().requires_grad_(True)


def gen(seed):
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, scale=1.0):
        return torch.randn(*shape, generator=g, dtype=DT) * scale

    def rand(*shape, lo=0.0, hi=1.0):
        return lo + (hi - lo) * torch.rand(*shape, generator=g, dtype=DT)

    return randn, rand


def f32(t):
    """Rounds to float32 values (kept in float64): for inputs that the agent stores as Float32Array."""
    return t.to(torch.float32).to(DT)


cases = []


def add(kind, name, **fields):
    cases.append({'kind': kind, 'name': name, **fields})


ACTS = {
    'none': lambda x: x,
    'relu': F.relu,
    'mish': F.mish,
    'tanh': torch.tanh,
}

# ---------------------------------------------------------------------------------------------
# Linear (fused linear op: bias and activation in the epilogue), rank 2 and rank 3, with and without bias
# ---------------------------------------------------------------------------------------------
randn, rand = gen(1)
for act in ['none', 'relu', 'mish', 'tanh']:
    for bias in [True, False] if act == 'none' else [True]:
        x, W, b = randn(4, 3), randn(3, 5, scale=0.8), randn(5, scale=0.5)
        G = randn(4, 5)
        xl, Wl, bl = leaf(x), leaf(W), leaf(b)
        y = ACTS[act](F.linear(xl, Wl.T, bl if bias else None))
        (y * G).sum().backward()
        add('linear', f'linear/{act}' + ('' if bias else '/nobias'), activation=act, bias=bias,
            x=T(x), weight=T(W), b=T(b) if bias else None, upstream=T(G),
            y=T(y), dx=T(xl.grad), dweight=T(Wl.grad), db=T(bl.grad) if bias else None)
x, W, b, G = randn(2, 3, 3), randn(3, 4), randn(4), randn(2, 3, 4)
xl, Wl, bl = leaf(x), leaf(W), leaf(b)
y = F.linear(xl, Wl.T, bl)
(y * G).sum().backward()
add('linear', 'linear/rank3', activation='none', bias=True, x=T(x), weight=T(W), b=T(b), upstream=T(G),
    y=T(y), dx=T(xl.grad), dweight=T(Wl.grad), db=T(bl.grad))

# ---------------------------------------------------------------------------------------------
# Elementwise activations (torch's functionals), over a range that stresses their tails
# ---------------------------------------------------------------------------------------------
randn, rand = gen(2)
xs = torch.tensor([-40.0, -25.0, -10.0, -5.0, -3.0, -1.5, -0.5, -1e-4, 0.0, 1e-4, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0, 19.0, 21.0, 25.0, 40.0])
UNARY = {
    'relu': F.relu,
    'mish': F.mish,
    'gelu': lambda x: F.gelu(x),  # exact (erf) form, approximate='none'
    'tanh': torch.tanh,
    'sigmoid': torch.sigmoid,
    # beta 1. torch's default threshold 20 returns x itself above 20 (gradient exactly 1), an approximation off by
    # e^-20 ~ 2e-9 at x = 21; ours is exact (x + log1p(e^-x)), so the reference is torch's exact branch.
    'softplus': lambda x: F.softplus(x, threshold=1e4),
}
for op, fn in UNARY.items():
    G = randn(xs.numel())
    xl = leaf(xs)
    y = fn(xl)
    (y * G).sum().backward()
    add('unary', f'unary/{op}', op=op, x=T(xs), upstream=T(G), y=T(y), dx=T(xl.grad))

for op, fn in {'softmax': lambda x: torch.softmax(x, -1), 'logSoftmax': lambda x: torch.log_softmax(x, -1)}.items():
    x = torch.cat([randn(2, 5), torch.tensor([[1000.0, 1001.0, 999.5, 1000.2, -1000.0]]), torch.full((1, 5), 0.25)], 0)
    G = randn(4, 5)
    xl = leaf(x)
    y = fn(xl)
    (y * G).sum().backward()
    add('softmax', f'softmax/{op}', op=op, x=T(x), upstream=T(G), y=T(y), dx=T(xl.grad))

# ---------------------------------------------------------------------------------------------
# LayerNorm over the last axis: without affine (core layerNormalize) and with (nn.LayerNorm), eps explicit
# ---------------------------------------------------------------------------------------------
randn, rand = gen(3)
x = torch.cat([
    randn(2, 6),
    randn(1, 6, scale=100) + 50,          # large mean and spread
    1.0 + randn(1, 6, scale=1e-3),        # small spread: eps matters
    torch.full((1, 6), 0.7),              # constant row: variance 0, y = 0, dx = (g - mean g) / sqrt(eps)
], 0)
for eps in [1e-6, 1e-5]:
    G = randn(5, 6)
    xl = leaf(x)
    y = F.layer_norm(xl, (6,), eps=eps)
    (y * G).sum().backward()
    # float32 tolerance: the near-constant row (spread 1e-3 around 1) has condition ~ mean / std ~ 700, so rounding
    # x to float32 alone moves y by ~700 x 6e-8 ~ 4e-5 relative (torch's own float32 layer_norm is off by 3e-4 there).
    add('layernorm', f'layernorm/noaffine/eps={eps:g}', f32rtol=1e-3, affine=False, eps=eps, x=T(x), upstream=T(G), y=T(y), dx=T(xl.grad))
    scale, bias = 1 + randn(6, scale=0.3), randn(6, scale=0.3)
    xl, sl, bl = leaf(x), leaf(scale), leaf(bias)
    y = F.layer_norm(xl, (6,), weight=sl, bias=bl, eps=eps)
    (y * G).sum().backward()
    add('layernorm', f'layernorm/affine/eps={eps:g}', f32rtol=1e-3, affine=True, eps=eps, x=T(x), scale=T(scale), b=T(bias), upstream=T(G),
        y=T(y), dx=T(xl.grad), dscale=T(sl.grad), db=T(bl.grad))

# ---------------------------------------------------------------------------------------------
# Losses: MSE (F.mse_loss, reduction mean); the expectile losses (FISOR / IQL expectile_loss and FISOR's
# safe_expectile_loss), averaged as the agent does: mean over the batch of weight(d) * d^2
# ---------------------------------------------------------------------------------------------
randn, rand = gen(4)
pred, target = randn(3, 4), randn(3, 4)
pl, tl = leaf(pred), leaf(target)
loss = F.mse_loss(pl, tl)
loss.backward()
add('mse', 'loss/mse', pred=T(pred), target=T(target), loss=T(loss), dpred=T(pl.grad), dtarget=T(tl.grad))

d = torch.cat([randn(10), torch.tensor([0.0, 1e-3, -1e-3])])
for tau in [0.9, 0.7]:
    for fn in ['expectileLoss', 'reversedExpectileLoss', 'expectile', 'reversedExpectile']:
        dl = leaf(d)
        reversed_ = fn.startswith('reversed')
        # expectile_loss: weight tau where d > 0 else 1 - tau; safe_expectile_loss: tau where d < 0 else 1 - tau
        w = torch.where(dl < 0, tau, 1 - tau) if reversed_ else torch.where(dl > 0, tau, 1 - tau)
        per = w * dl ** 2
        loss = per.mean()
        loss.backward()
        add('expectile', f'loss/{fn}/tau={tau}', fn=fn, tau=tau, d=T(d), per=T(per), loss=T(loss), dd=T(dl.grad))

v, w = randn(3, 4), rand(3, 1, lo=0, hi=2)
vl = leaf(v)
loss = (vl * w).mean()
loss.backward()
add('weightedMean', 'loss/weightedMean', values=T(v), weights=T(w), loss=T(loss), dvalues=T(vl.grad))

# ---------------------------------------------------------------------------------------------
# Optimizers: torch.optim.Adam / AdamW over several steps with given gradients (None: the parameter has no
# gradient that step and is skipped, its step count not advanced), and clip_grad_norm_
# ---------------------------------------------------------------------------------------------
randn, rand = gen(5)
OPT_CASES = [
    ('adam/defaults', 'adam', dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)),
    ('adam/l2', 'adam', dict(lr=0.05, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.1)),
    ('adamw/decay', 'adamw', dict(lr=0.05, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.2)),
    ('adamw/defaults', 'adamw', dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)),
    # ours: cosineDecay(lr, T, alpha) = optax.cosine_decay_schedule, lr of step k = schedule(k); torch's counterpart is
    # CosineAnnealingLR(T_max = T, eta_min = alpha lr) stepped after each optimizer step (same values for k <= T)
    ('adamw/cosine', 'adamw', dict(lr=0.05, betas=(0.9, 0.99), eps=1e-6, weight_decay=0.1, cosine=dict(decaySteps=5, alpha=0.1))),
    ('sgd/momentum', 'sgd', dict(lr=0.1, momentum=0.9)),
    ('sgd/plain', 'sgd', dict(lr=0.1, momentum=0.0)),
]
for name, opt, h in OPT_CASES:
    p0 = [randn(2, 3), randn(4)]
    steps = 6
    grads = [[randn(2, 3, scale=2.0), None if k == 2 else randn(4, scale=0.1)] for k in range(steps)]
    grads[4][0] = torch.zeros(2, 3)  # a zero gradient still advances the step and moves by momentum
    ps = [leaf(p) for p in p0]
    if opt == 'sgd':
        o = torch.optim.SGD(ps, lr=h['lr'], momentum=h['momentum'], foreach=False)
    else:
        cls = torch.optim.Adam if opt == 'adam' else torch.optim.AdamW
        o = cls(ps, lr=h['lr'], betas=h['betas'], eps=h['eps'], weight_decay=h['weight_decay'], foreach=False)
    cos = h.get('cosine')
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=cos['decaySteps'], eta_min=cos['alpha'] * h['lr']) if cos else None
    after = []
    for k in range(steps):
        for p, gk in zip(ps, grads[k]):
            p.grad = None if gk is None else gk.clone()
        o.step()
        if sched:
            sched.step()
        after.append([T(p) for p in ps])
    hyper = dict(momentum=h['momentum']) if opt == 'sgd' else dict(
        beta1=h['betas'][0], beta2=h['betas'][1], eps=h['eps'], weightDecay=h['weight_decay'], cosine=cos)
    add('optim', f'optim/{name}', optimizer=opt, lr=h['lr'], **hyper, params=[T(p) for p in p0],
        grads=[[None if gk is None else T(gk) for gk in gs] for gs in grads], after=after)

for max_norm in [0.5, 100.0]:
    gs = [randn(2, 3), randn(5), randn(1)]
    ps = [leaf(torch.zeros_like(gk)) for gk in gs]
    for p, gk in zip(ps, gs):
        p.grad = gk.clone()
    norm = torch.nn.utils.clip_grad_norm_(ps, max_norm)
    add('clip', f'clip/maxNorm={max_norm:g}', maxNorm=max_norm, grads=[T(gk) for gk in gs], norm=float(norm),
        clipped=[T(p.grad) for p in ps])

# ---------------------------------------------------------------------------------------------
# MLP end to end (jaxrl / FISOR layout: Linear -> [LayerNorm] -> act per hidden layer, then Linear),
# loss = mse(out, target); and the critics' ensemble (ReLU, no LayerNorm) with min / max over members
# ---------------------------------------------------------------------------------------------
randn, rand = gen(6)


def mlp_params(sizes, layer_norm, activate_final, ensemble=None):
    sd = {}
    n = len(sizes) - 1
    for i in range(n):
        if ensemble:
            sd[f'layers.{i}.weight'] = randn(ensemble, sizes[i], sizes[i + 1], scale=1 / math.sqrt(sizes[i]))
            sd[f'layers.{i}.bias'] = randn(ensemble, 1, sizes[i + 1], scale=0.1)
        else:
            sd[f'layers.{i}.weight'] = randn(sizes[i], sizes[i + 1], scale=1 / math.sqrt(sizes[i]))
            sd[f'layers.{i}.bias'] = randn(sizes[i + 1], scale=0.1)
    for i in range(n):
        post = i < n - 1 or activate_final
        if post and layer_norm:
            shape = (ensemble, 1, sizes[i + 1]) if ensemble else (sizes[i + 1],)
            sd[f'norms.{i}.scale'] = 1 + randn(*shape, scale=0.2)
            sd[f'norms.{i}.bias'] = randn(*shape, scale=0.1)
    return sd


def mlp_forward(sd, x, n, act, layer_norm, activate_final, eps=1e-6):
    h = x
    for i in range(n):
        W, b = sd[f'layers.{i}.weight'], sd[f'layers.{i}.bias']
        h = h @ W + b  # ensemble: [n, in, out] batched against [B, in] or [n, B, in], bias [n, 1, out]
        if i < n - 1 or activate_final:
            if layer_norm:
                h = F.layer_norm(h, (h.shape[-1],), eps=eps) * sd[f'norms.{i}.scale'] + sd[f'norms.{i}.bias']
            h = ACTS[act](h)
    return h


MLP_CASES = [
    ('mlp/layernorm-mish', dict(sizes=[3, 6, 6, 2], act='mish', layer_norm=True, activate_final=False)),
    ('mlp/relu', dict(sizes=[3, 5, 5, 2], act='relu', layer_norm=False, activate_final=False)),
    ('mlp/tanh-final-layernorm', dict(sizes=[4, 5, 3], act='tanh', layer_norm=True, activate_final=True)),
]
for name, c in MLP_CASES:
    sizes = c['sizes']
    sd = mlp_params(sizes, c['layer_norm'], c['activate_final'])
    x, target = randn(5, sizes[0]), randn(5, sizes[-1])
    sdl = {k: leaf(v) for k, v in sd.items()}
    xl = leaf(x)
    out = mlp_forward(sdl, xl, len(sizes) - 1, c['act'], c['layer_norm'], c['activate_final'])
    loss = F.mse_loss(out, target)
    loss.backward()
    add('mlp', name, inputSize=sizes[0], hiddenSizes=sizes[1:-1], outputSize=sizes[-1], activation=c['act'],
        layerNorm=c['layer_norm'], activateFinal=c['activate_final'], state={k: T(v) for k, v in sd.items()},
        x=T(x), target=T(target), out=T(out), loss=T(loss), dx=T(xl.grad), grads={k: T(v.grad) for k, v in sdl.items()})

for reduce_, act, ln in [('min', 'relu', False), ('max', 'relu', False), ('min', 'mish', True)]:
    sizes = [4, 5, 5, 1]
    sd = mlp_params(sizes, ln, False, ensemble=2)  # LayerNorm scale / bias per member: [2, 1, size]
    x, target = randn(6, 4), randn(6, 1)
    sdl = {k: leaf(v) for k, v in sd.items()}
    xl = leaf(x)
    out = mlp_forward(sdl, xl, 3, act, ln, False)  # [2, 6, 1]
    red = out.min(0).values if reduce_ == 'min' else out.max(0).values
    loss = F.mse_loss(red, target)
    loss.backward()
    add('ensemble', f'ensemble/{reduce_}/{act}' + ('-layernorm' if ln else ''), members=2, inputSize=4, hiddenSizes=[5, 5],
        outputSize=1, reduce=reduce_, activation=act, layerNorm=ln,
        state={k: T(v) for k, v in sd.items()}, x=T(x), target=T(target), out=T(out), reduced=T(red), loss=T(loss),
        dx=T(xl.grad), grads={k: T(v.grad) for k, v in sdl.items()})

# ---------------------------------------------------------------------------------------------
# Diffusion: the VP schedule (IDQL vp_beta_schedule, FISOR.md), the denoiser, one weighted DDPM training loss
# with given t and noise, and the ancestral sampler with given noise
# ---------------------------------------------------------------------------------------------
for (Tn, bmin, bmax) in [(5, 0.1, 10.0), (1, 0.1, 10.0), (10, 0.05, 20.0)]:
    t = torch.arange(1, Tn + 1, dtype=DT)
    alpha = torch.exp(-bmin / Tn - 0.5 * (bmax - bmin) * (2 * t - 1) / Tn ** 2)
    betas = 1 - alpha
    alphas = 1 - betas
    alpha_bars = torch.cumprod(alphas, 0)
    add('schedule', f'schedule/T={Tn},bmin={bmin:g},bmax={bmax:g}', T=Tn, betaMin=bmin, betaMax=bmax,
        betas=T(betas), alphas=T(alphas), alphaBars=T(alpha_bars))

randn, rand = gen(7)
DEN = dict(dataSize=2, condSize=3, hidden=4, blocks=2, timeFeatures=4, timeHidden=6)


def denoiser_params():
    D, C, H, TF, TH = DEN['dataSize'], DEN['condSize'], DEN['hidden'], DEN['timeFeatures'], DEN['timeHidden']
    sd = {
        'time.kernel': randn(TF // 2, 1, scale=0.2),
        'timeMlp.layers.0.weight': randn(TF, TH, scale=0.5), 'timeMlp.layers.0.bias': randn(TH, scale=0.1),
        'timeMlp.layers.1.weight': randn(TH, TH, scale=0.4), 'timeMlp.layers.1.bias': randn(TH, scale=0.1),
        'body.input.weight': randn(D + C + TH, H, scale=0.4), 'body.input.bias': randn(H, scale=0.1),
    }
    for k in range(DEN['blocks']):
        sd[f'body.blocks.{k}.norm.scale'] = 1 + randn(H, scale=0.2)
        sd[f'body.blocks.{k}.norm.bias'] = randn(H, scale=0.1)
        sd[f'body.blocks.{k}.fc1.weight'] = randn(H, 4 * H, scale=0.5)
        sd[f'body.blocks.{k}.fc1.bias'] = randn(4 * H, scale=0.1)
        sd[f'body.blocks.{k}.fc2.weight'] = randn(4 * H, H, scale=0.25)
        sd[f'body.blocks.{k}.fc2.bias'] = randn(H, scale=0.1)
    sd['body.output.weight'] = randn(H, D, scale=0.5)
    sd['body.output.bias'] = randn(D, scale=0.1)
    return sd


def denoiser_forward(sd, xt, t, cond):
    """IDQL's DDPM score model: FourierFeatures -> MLP(th, th, mish) -> MLPResNet (dropout off)."""
    f = 2 * math.pi * (t @ sd['time.kernel'].T)
    tf = torch.cat([torch.cos(f), torch.sin(f)], -1)
    tc = F.mish(tf @ sd['timeMlp.layers.0.weight'] + sd['timeMlp.layers.0.bias'])
    tc = tc @ sd['timeMlp.layers.1.weight'] + sd['timeMlp.layers.1.bias']
    h = torch.cat([xt, cond, tc], -1) @ sd['body.input.weight'] + sd['body.input.bias']
    for k in range(DEN['blocks']):
        p = f'body.blocks.{k}.'
        z = F.layer_norm(h, (h.shape[-1],), weight=sd[p + 'norm.scale'], bias=sd[p + 'norm.bias'], eps=1e-6)
        z = F.mish(z @ sd[p + 'fc1.weight'] + sd[p + 'fc1.bias'])
        z = z @ sd[p + 'fc2.weight'] + sd[p + 'fc2.bias']
        h = h + z
    return F.mish(h) @ sd['body.output.weight'] + sd['body.output.bias']


def vp(Tn, bmin=0.1, bmax=10.0):
    t = torch.arange(1, Tn + 1, dtype=DT)
    betas = 1 - torch.exp(-bmin / Tn - 0.5 * (bmax - bmin) * (2 * t - 1) / Tn ** 2)
    alphas = 1 - betas
    return betas, alphas, torch.cumprod(alphas, 0)


betas, alphas, abar = vp(5)
sd = denoiser_params()
B, D, C = 4, DEN['dataSize'], DEN['condSize']
x0, cond = rand(B, D, lo=-1, hi=1), randn(B, C)
tidx = torch.tensor([0, 4, 2, 3])
eps = randn(B, D)
for weighted in [True, False]:
    w = rand(B, lo=0, hi=3) if weighted else None
    sdl = {k: leaf(v) for k, v in sd.items()}
    x0l, condl = leaf(x0), leaf(cond)
    # FISOR actor loss: x_t = sqrt(abar_t) a + sqrt(1 - abar_t) eps; mean(w * sum_d (eps_pred - eps)^2)
    xt = torch.sqrt(abar[tidx])[:, None] * x0l + torch.sqrt(1 - abar[tidx])[:, None] * eps
    pred = denoiser_forward(sdl, xt, tidx[:, None].to(DT), condl)
    per = ((pred - eps) ** 2).sum(-1)
    loss = (per * w).mean() if weighted else per.mean()
    loss.backward()
    add('ddpmLoss', 'diffusion/loss/' + ('weighted' if weighted else 'plain'), denoiser=DEN, T=5, betaMin=0.1, betaMax=10.0,
        state={k: T(v) for k, v in sd.items()}, x0=T(x0), cond=T(cond), weights=T(w) if weighted else None,
        t=[int(k) for k in tidx], noise=T(eps), pred=T(pred), perSample=T(per), loss=T(loss),
        dx0=T(x0l.grad), dcond=T(condl.grad), grads={k: T(v.grad) for k, v in sdl.items()})

for clip, temperature in [(True, 1.0), (False, 0.7)]:
    xT = randn(B, D, scale=1.5)
    zs = [randn(B, D) for _ in range(4)]  # one per step k = 4..1 (none at k = 0)
    with torch.no_grad():
        x = xT.clone()
        for j, k in enumerate(range(4, -1, -1)):
            e = denoiser_forward(sd, x, torch.full((B, 1), float(k)), cond)
            a1 = 1 / math.sqrt(alphas[k])
            a2 = (1 - alphas[k]) / math.sqrt(1 - abar[k])
            x = a1 * (x - a2 * e)
            if k > 0:
                x = x + math.sqrt(betas[k]) * temperature * zs[j]
            if clip:
                x = x.clamp(-1, 1)
    add('ddpmSample', f'diffusion/sample/clip={str(clip).lower()},temperature={temperature:g}', denoiser=DEN, T=5,
        betaMin=0.1, betaMax=10.0, state={k: T(v) for k, v in sd.items()}, cond=T(cond), xT=T(xT),
        z=[T(z) for z in zs], clip=clip, temperature=temperature, x0=T(x))

# ---------------------------------------------------------------------------------------------
# FISOR's critic formulas (rl/fisor/critics.ts) and one full critic iteration of the agent (V_r, Q_r, V_h, Q_h
# in the official order; Adam; soft targets), on a fixed tiny batch
# ---------------------------------------------------------------------------------------------
randn, rand = gen(8)
g_ = 0.99
h = torch.tensor([-1.0, -1.0, 0.5, 25.0, -0.3, 2.0, 0.1, -0.2])
nextv = randn(8, scale=2)
mask = torch.tensor([1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0])
r = randn(8)
feas = (1 - g_) * h + g_ * torch.maximum(h, nextv)
feas = feas * mask + h * (1 - mask)
rew = r + g_ * mask * nextv
q, vv = randn(8), randn(8)
qc = torch.tensor([0.3, -0.5, -0.2, 0.8, -1.0, 0.05, -0.3, 0.4])
vc = torch.tensor([0.5, -0.4, 0.1, -0.2, -0.6, 0.2, 0.0, -0.1])
W = dict(costTemperature=5.0, costLb=0.0, costUb=150.0, rewardTemperature=3.0, rewardUb=100.0)
unsafe = (vc > 0).to(DT)
safe = (vc <= 0).to(DT) * (qc <= 0).to(DT)
wts = unsafe * torch.clamp(torch.exp((vc - qc) * W['costTemperature']), W['costLb'], W['costUb']) \
    + safe * torch.clamp(torch.exp((q - vv) * W['rewardTemperature']), 0, W['rewardUb'])
adv = torch.clamp(torch.exp((q - vv) * W['rewardTemperature']), 0, W['rewardUb'])
add('fisorFormulas', 'fisor/formulas', discount=g_, h=T(h), nextV=T(nextv), mask=T(mask), r=T(r), q=T(q), v=T(vv),
    qc=T(qc), vc=T(vc), weightConfig=W, feasibleTarget=T(feas), rewardTarget=T(rew), fisorWeights=T(wts),
    advantageWeights=T(adv))

# One critic iteration. Inputs are float32-representable (the agent's batch is Float32Array).
S, A, Hc, Bc = 3, 2, 5, 4
lr, tau, rexp, fexp = 1e-2, 0.1, 0.9, 0.7
nets0 = {}
for name in ['qr', 'qh']:
    nets0[name] = {k: f32(v) for k, v in mlp_params([S + A, Hc, Hc, 1], False, False, ensemble=2).items()}
    nets0[name + 'Target'] = {k: f32(v + randn(*v.shape, scale=0.05)) for k, v in nets0[name].items()}
for name in ['vr', 'vh']:
    nets0[name] = {k: f32(v) for k, v in mlp_params([S, Hc, Hc, 1], False, False).items()}
batch = dict(
    observations=f32(randn(Bc, S)), nextObservations=f32(randn(Bc, S)), actions=f32(rand(Bc, A, lo=-1, hi=1)),
    rewards=f32(randn(Bc)), h=torch.tensor([-1.0, 25.0, -1.0, 0.5]), masks=torch.tensor([1.0, 1.0, 0.0, 1.0]),
)
nets = {n: {k: leaf(v) for k, v in sd.items()} for n, sd in nets0.items()}
opts = {n: torch.optim.Adam(list(nets[n].values()), lr=lr, foreach=False) for n in ['qr', 'vr', 'qh', 'vh']}


def run(n, x):
    return mlp_forward(nets[n], x, 3, 'relu', False, False)


def expectile_t(d, t, reversed_=False):
    return (torch.where(d < 0, t, 1 - t) if reversed_ else torch.where(d > 0, t, 1 - t)) * d ** 2


s, a, s2 = batch['observations'], batch['actions'], batch['nextObservations']
sa = torch.cat([s, a], -1)
losses = {}


def step(n, loss):
    opts[n].zero_grad(set_to_none=True)
    loss.backward()
    opts[n].step()
    losses[n] = float(loss.detach())


def soft(target, source):
    with torch.no_grad():
        for k in nets[target]:
            nets[target][k].mul_(1 - tau).add_(tau * nets[source][k])


with torch.no_grad():
    qt = run('qrTarget', sa).min(0).values.reshape(-1)
step('vr', expectile_t(qt - run('vr', s).reshape(-1), rexp).mean())
with torch.no_grad():
    target = batch['rewards'] + g_ * batch['masks'] * run('vr', s2).reshape(-1)
step('qr', ((run('qr', sa).reshape(2, -1) - target) ** 2).mean())
soft('qrTarget', 'qr')
with torch.no_grad():
    qct = run('qhTarget', sa).max(0).values.reshape(-1)
step('vh', expectile_t(qct - run('vh', s).reshape(-1), fexp, reversed_=True).mean())
with torch.no_grad():
    nv = run('vh', s2).reshape(-1)
    hb, mb = batch['h'], batch['masks']
    target = ((1 - g_) * hb + g_ * torch.maximum(hb, nv)) * mb + hb * (1 - mb)
step('qh', ((run('qh', sa).reshape(2, -1) - target) ** 2).mean())
soft('qhTarget', 'qh')
add('criticStep', 'fisor/critic-iteration', obsDim=S, actDim=A, hidden=Hc, batchSize=Bc, criticLr=lr, tau=tau,
    discount=g_, rewardExpectile=rexp, feasibilityExpectile=fexp, batch={k: T(v) for k, v in batch.items()},
    nets={n: {k: T(v) for k, v in sd.items()} for n, sd in nets0.items()}, losses=losses,
    after={n: {k: T(v) for k, v in sd.items()} for n, sd in nets.items()})

doc = {
    'generator': 'scripts/golden/torch_golden.py',
    'torch': torch.__version__,
    'python': sys.version.split()[0],
    'dtype': 'float64',
    'cases': cases,
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as fh:
    json.dump(doc, fh, separators=(',', ':'))
    fh.write('\n')
print(f'wrote {len(cases)} cases to {os.path.relpath(OUT)} ({os.path.getsize(OUT) / 1024:.0f} KB)')
