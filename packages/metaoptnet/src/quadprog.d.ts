/**
 * Types of the `quadprog` package (1.6.1, CommonJS, no bundled types): a JavaScript port of
 * Berwin Turlach's R package, the dual active-set method of Goldfarb & Idnani (1983).
 *
 * Every array is 1-based (index 0 unused), as in the Fortran original; the rows of `Dmat` and
 * `Amat` may be Float64Arrays (they are only indexed). `solveQP` minimises
 * `-dᵀ b + ½ bᵀ D b` subject to `Aᵀ b >= b0`, the first `meq` constraints as equalities, and
 * overwrites `Dmat` (with its inverse Cholesky factor), `dvec`, `Amat` and `bvec` (equality
 * constraints may be negated in place).
 */
declare module 'quadprog' {
  /** What `solveQP` returns; every array 1-based. */
  interface QuadprogResult {
    /** The minimiser `b` (empty when `message` is set). */
    readonly solution: number[];
    /** Lagrange multipliers, one per constraint (`D b - d = A λ`); zero for inactive ones. */
    readonly Lagrangian: number[];
    /** `[, objective]`: the value of `-dᵀ b + ½ bᵀ D b` at the solution. */
    readonly value: number[];
    /** The unconstrained minimiser `D⁻¹ d` (the overwritten `dvec`). */
    readonly unconstrained_solution: number[];
    /** `[, iterations, constraints dropped from the active set]`. */
    readonly iterations: number[];
    /** 1-based indices of the active constraints at the solution, zero-padded. */
    readonly iact: number[];
    /** Empty on success; else `'constraints are inconsistent, no solution!'`,
     * `'matrix D in quadratic function is not positive definite!'` or a size error. */
    readonly message: string;
  }
  interface Quadprog {
    /**
     * @param Dmat - `D: [n][n]`, symmetric positive definite (1-based rows and columns).
     * @param dvec - `d: [n]`.
     * @param Amat - `A: [n][q]` (one column per constraint).
     * @param bvec - `b0: [q]`.
     * @param meq - the first `meq` constraints are equalities (default 0).
     * @param factorized - `[, 1]` when `Dmat` holds `R⁻¹` (`D = Rᵀ R`) instead of `D`; used as the
     *   error flag on return.
     */
    solveQP(Dmat: Array<number[] | Float64Array>, dvec: number[], Amat: Array<number[] | Float64Array>, bvec: number[], meq?: number, factorized?: number[]): QuadprogResult;
  }
  const quadprog: Quadprog;
  export = quadprog;
}
