/**
 * How an error message names a value that is not what an argument takes (a Tensor, a shape, ...): 'null', 'an
 * array', "the string 'x'", else its typeof. One wording for every entry point of core and nn.
 */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string '${v}'`;
  return typeof v;
}
