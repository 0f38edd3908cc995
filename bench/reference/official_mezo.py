"""
The client-side zeroth-order optimizer of the official FedKSeed code, ported to this folder's torch LLaMA.

Source read (not copied): branch `FedKSeed` of github.com/alibaba/FederatedScope, commit d7e0748 (2023-12-26):
  optimizers/mezo_optimizer.py       class MeZOFramework      (FedKSeed: uniform choice among the K candidate seeds)
  optimizers/mezo_bias_optimizer.py  class MeZOBiasOptimizer  (FedKSeed-Pro: choice with the server's probabilities,
                                                               and every scalar gradient appended to the seed's history)
The two official classes differ only in those two places, so they are one class here (`probabilities` None or not).

One step (`MeZOFramework.zo_step` / `MeZOBiasOptimizer.zo_step`), in the official order:
  1. seed = np.random.choice(candidate_seeds, 1)[0]         (Pro: ..., replace=False, p=probabilities); numpy's
     global (legacy MT19937) stream, the one main.py seeds with np.random.seed(args.seed)
  2. w += +1 * eps * z(seed)   loss1 = forward    (`_zo_perturb_parameters(scaling_factor=1)`, `zo_forward`)
  3. w += -2 * eps * z(seed)   loss2 = forward
  4. w += +1 * eps * z(seed)                       (restores w, up to float rounding, as officially)
  5. NaN loss1 or loss2: no update, nothing recorded; grad_clip > 0 and |loss1 - loss2| > grad_clip: likewise
  6. g = ((loss1 - loss2) / (2 * eps)).item()      (float32 tensor arithmetic, then a Python float)
  7. w -= lr * (g * z(seed) + weight_decay * w)    (`zo_update`; without the decay term for a parameter whose
                                                    name contains "bias", "layer_norm" or "layernorm")
  8. Pro only: gradient_history[seed].append(g);   then local_seed_pool[seed] += g
z(seed) is regenerated for every use exactly as the official code does: torch.manual_seed(seed), then one
torch.normal(0, 1, size=param.shape, dtype=param.dtype) per trainable parameter in named_parameters() order. Each
regeneration therefore re-seeds torch's global generator (which the data loader's shuffles also draw from; the port
keeps that coupling because it uses torch's own DataLoader, as the official code does).

The server rebuilds its model with the same `update(seed, grad)` (official `zo_update(seed=..., grad=...)`).
"""
import numpy as np
import torch

NO_DECAY_MARKERS = ("bias", "layer_norm", "layernorm")  # official zo_update's name test


class ZerothOrderOptimizer:
    """MeZOFramework (probabilities None) or MeZOBiasOptimizer (probabilities given) over a torch_llama.Llama."""

    def __init__(self, model, lr, zo_eps, candidate_seeds, weight_decay=0.0, grad_clip=-100.0, probabilities=None,
                 gradient_history=None):
        self.model = model
        self.lr = lr
        self.zo_eps = zo_eps
        self.weight_decay = weight_decay
        self.grad_clip = grad_clip
        self.candidate_seeds = candidate_seeds  # numpy int64 array of K seeds, as main.py draws them
        self.probabilities = probabilities
        self.gradient_history = gradient_history  # the server's dict, shared (Pro only)
        if (probabilities is None) != (gradient_history is None):
            raise ValueError("FedKSeed-Pro needs both probabilities and the gradient history")
        # Official __init__: every parameter with requires_grad, in named_parameters() order.
        self.params = [(name, p) for name, p in model.named_parameters() if p.requires_grad]

    # ---- z(seed): the one invariant. The same seed must regenerate the same z, parameter by parameter.

    def _directions(self, seed):
        torch.manual_seed(int(seed))
        for name, p in self.params:
            yield name, p, torch.normal(mean=0, std=1, size=p.data.size(), device=p.data.device, dtype=p.data.dtype)

    def perturb(self, seed, scaling_factor):
        """w <- w + scaling_factor * eps * z(seed) (official `_zo_perturb_parameters`)."""
        for _, p, z in self._directions(seed):
            p.data = p.data + scaling_factor * self.zo_eps * z

    def update(self, seed, grad):
        """w <- w - lr * (grad * z(seed) + weight_decay * w) (official `zo_update`; decay skipped on bias/norm names)."""
        for name, p, z in self._directions(seed):
            if any(marker in name for marker in NO_DECAY_MARKERS):
                p.data = p.data - self.lr * (grad * z)
            else:
                p.data = p.data - self.lr * (grad * z + self.weight_decay * p.data)

    def forward_loss(self, batch):
        """Official `zo_forward`: the model's loss on the batch, no gradient (the caller holds inference_mode)."""
        input_ids, labels = batch
        return self.model.loss(input_ids, labels).detach()

    def sample_seed(self):
        if self.probabilities is None:
            return np.random.choice(self.candidate_seeds, 1)[0]
        return np.random.choice(self.candidate_seeds, 1, replace=False, p=self.probabilities)[0]

    def step(self, batch, local_seed_pool):
        """One official zo_step. Returns (loss1, seed, g), g None when the step was skipped (NaN or clipped)."""
        seed = self.sample_seed()
        self.perturb(seed, 1)
        loss1 = self.forward_loss(batch)
        self.perturb(seed, -2)
        loss2 = self.forward_loss(batch)
        self.perturb(seed, 1)
        if torch.isnan(loss1) or torch.isnan(loss2):
            return loss1, seed, None
        if self.grad_clip > 0.0 and torch.abs(loss1 - loss2) > self.grad_clip:
            return loss1, seed, None
        g = ((loss1 - loss2) / (2 * self.zo_eps)).item()
        self.update(seed, g)
        if self.gradient_history is not None:
            self.gradient_history[int(seed)].append(g)
        local_seed_pool[int(seed)] += g
        return loss1, seed, g
