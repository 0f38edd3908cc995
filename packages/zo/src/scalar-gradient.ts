/** What crosses the network about a model update: a seed index and a float32 scalar gradient. */
export interface ScalarGradient {
  /** Candidate seed index in [0, K). */
  seedIndex: number;
  /** Projected gradient g = (L+ - L-) / (2 eps), a float32 value. */
  scalarGrad: number;
}
