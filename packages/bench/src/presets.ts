/**
 * Learner presets: the names a user gives to `metalearn train --learner NAME`, each a
 * composition of registered parts (solver and outer rule by name, with options). A preset is
 * data, not code: every part is still resolved from the plugin container, so a preset can name a
 * third-party solver as well.
 */
import { MetaLearnError, type PluginOptions } from '@metalearn/core';

/** The run settings a preset reads to fill its options. */
export interface PresetInputs {
  readonly innerSteps: number;
  readonly evalInnerSteps: number;
  readonly innerLr: number;
  readonly metaSteps: number;
  /** The backbone plug-in's name (a preset may size backbone options by it, e.g. CAVIA's context). */
  readonly backbone: string;
}

/** A named composition: which solver and learner (outer rule) plug-ins, with which options. */
export interface LearnerPreset {
  readonly name: string;
  readonly summary: string;
  /** Paper the preset reproduces. */
  readonly source: string;
  readonly solver: string;
  solverOptions(r: PresetInputs): PluginOptions;
  readonly learner: string;
  learnerOptions?(r: PresetInputs): PluginOptions;
  /** Extra backbone options the preset needs (MAML++ per-step batch norm). */
  backboneOptions?(r: PresetInputs): PluginOptions;
}

const gradient = (r: PresetInputs, extra: PluginOptions = {}): PluginOptions => ({
  innerSteps: r.innerSteps,
  evalInnerSteps: r.evalInnerSteps,
  innerLr: r.innerLr,
  ...extra,
});

/** Every built-in preset, by name. */
export const PRESETS: Readonly<Record<string, LearnerPreset>> = {
  maml: {
    name: 'maml',
    summary: 'second-order MAML through every inner step',
    source: 'Finn, Abbeel & Levine 2017',
    solver: 'gradient',
    solverOptions: (r) => gradient(r, { order: 'second' }),
    learner: 'backprop',
  },
  fomaml: {
    name: 'fomaml',
    summary: 'first-order MAML (inner gradients treated as constants)',
    source: 'Finn, Abbeel & Levine 2017, sec. 5.2',
    solver: 'gradient',
    solverOptions: (r) => gradient(r, { order: 'first' }),
    learner: 'backprop',
  },
  metasgd: {
    name: 'metasgd',
    summary: 'Meta-SGD: a learned inner learning rate per parameter',
    source: 'Li, Zhou, Chen & Li 2017',
    solver: 'gradient',
    solverOptions: (r) => gradient(r, { metaSgd: true }),
    learner: 'backprop',
  },
  anil: {
    name: 'anil',
    summary: 'ANIL: adapt the head only',
    source: 'Raghu, Raghu, Bengio & Vinyals 2019',
    solver: 'gradient',
    solverOptions: (r) => gradient(r, { adapt: '^head/' }),
    learner: 'backprop',
  },
  mamlpp: {
    name: 'mamlpp',
    summary: 'MAML++: per-step batch norm, per-layer per-step inner rates, multi-step loss, order annealing, cosine outer rate',
    source: 'Antoniou, Edwards & Storkey 2018',
    solver: 'gradient',
    solverOptions: (r) =>
      gradient(r, {
        perStepLrs: true,
        multiStepLoss: { annealSteps: Math.max(1, Math.round(r.metaSteps * 0.1)) },
        derivativeOrderAnnealing: { firstOrderUntil: Math.round(r.metaSteps * 0.1) },
      }),
    learner: 'backprop',
    learnerOptions: () => ({ outerLrSchedule: 'cosine' }),
    // Per-step batch-norm statistics need a backbone with batch norm (Conv-4); an MLP has none.
    backboneOptions: (r) => (r.backbone === 'conv4' ? { normSteps: r.innerSteps + 1 } : {}),
  },
  pretrain: {
    name: 'pretrain',
    summary: 'pretrained baseline: theta trained jointly on all tasks without adaptation, fine-tuned by gradient steps at evaluation',
    source: 'Finn, Abbeel & Levine 2017, sec. 5.1 ("pretrained" in Fig. 2)',
    solver: 'gradient',
    solverOptions: (r) => ({ innerSteps: 0, evalInnerSteps: r.evalInnerSteps, innerLr: r.innerLr }),
    learner: 'backprop',
  },
  r2d2: {
    name: 'r2d2',
    summary: 'R2-D2: closed-form ridge-regression head on meta-learned features',
    source: 'Bertinetto, Henriques, Torr & Vedaldi 2018',
    solver: 'ridge',
    solverOptions: () => ({}),
    learner: 'backprop',
  },
  metaoptnet: {
    name: 'metaoptnet',
    summary: 'MetaOptNet: multi-class linear SVM head (QP by quadprog) on meta-learned features, backprop through its KKT conditions',
    source: 'Lee, Maji, Ravichandran & Soatto 2019',
    solver: 'svm',
    solverOptions: () => ({}),
    learner: 'backprop',
  },
  reptile: {
    name: 'reptile',
    summary: "Reptile: per task k SGD steps on every parameter over the task's support and query sets, theta moved toward the adapted weights by epsilon, annealed linearly from 1 (the paper's meta step, not --outer-lr: set it with --learner-options '{\"outerLr\":...}') to 0 over the meta-steps",
    source: 'Nichol, Achiam & Schulman 2018',
    solver: 'gradient',
    solverOptions: () => ({}),
    learner: 'reptile',
    learnerOptions: (r) => ({
      outerLr: 1, outerLrSchedule: 'linear', totalSteps: r.metaSteps, finalOuterLr: 0,
      innerOptimizer: 'sgd', innerSteps: r.innerSteps, evalInnerSteps: r.evalInnerSteps, innerLr: r.innerLr,
    }),
  },
  cavia: {
    name: 'cavia',
    summary: "CAVIA: only a context vector (5 for an MLP at its input, 100 for Conv-4 by FiLM in block 3; reset to zero per task) is adapted, with the paper's context lr 1.0 (not --inner-lr: set it with --solver-options '{\"innerLr\":...}'); theta meta-trained through it, second order",
    source: 'Zintgraf, Shiarlis, Kurin, Hofmann & Whiteson 2019',
    solver: 'context',
    solverOptions: (r) => ({ contextDim: caviaContextDim(r), innerSteps: r.innerSteps, evalInnerSteps: r.evalInnerSteps, innerLr: 1 }),
    learner: 'backprop',
    // The MLP's kernels N(0, 0.1^2), near the PyTorch default initialisation of CAVIA's reference code (MAML's 0.01 starves the context path).
    backboneOptions: (r) => (r.backbone === 'mlp' ? { contextDim: caviaContextDim(r), weightStd: 0.1 } : { contextDim: caviaContextDim(r) }),
  },
  imaml: {
    name: 'imaml',
    summary: 'iMAML: proximal inner loop off the tape, implicit meta-gradient by CG on Hessian-vector products (memory flat in the inner steps)',
    source: 'Rajeswaran, Finn, Kakade & Levine 2019',
    solver: 'implicit',
    solverOptions: (r) => gradient(r),
    learner: 'backprop',
  },
};

/** CAVIA's context size: 100 on the convolutional network (mini-ImageNet), 5 otherwise (sinusoid). */
function caviaContextDim(r: PresetInputs): number {
  return r.backbone === 'conv4' ? 100 : 5;
}

/**
 * The preset called `name`.
 * @throws MetaLearnError `unknownPlugin` listing the presets.
 */
export function getPreset(name: string): LearnerPreset {
  const p = PRESETS[name];
  if (p === undefined) throw new MetaLearnError('unknownPlugin', `getPreset: no learner preset named '${name}' (presets: ${Object.keys(PRESETS).join(', ')}); or give --solver NAME for any registered solver`);
  return p;
}
