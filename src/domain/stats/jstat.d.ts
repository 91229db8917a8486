/**
 * Minimal typings for the parts of `jstat` (untyped CommonJS package) that Payrixa uses.
 * Only distribution/special functions are declared on purpose: the statistical tests
 * themselves are implemented (and unit-tested) in this folder.
 */
declare module 'jstat' {
  interface JStatStatic {
    /** Regularised incomplete beta I_x(a, b); returns `false` when x is outside [0, 1]. */
    ibeta(x: number, a: number, b: number): number | false;
    normal: {
      cdf(x: number, mean: number, std: number): number;
    };
    studentt: {
      cdf(x: number, dof: number): number;
    };
  }
  const jStat: JStatStatic;
  export = jStat;
}
