"""The engine: Numba kernels behind two drivers.

- ``training`` runs the SGNS kernel (``_sgns``) on worker threads, one compiled call per thread
  per epoch, with its sampling tables (``_sampling``) and per-thread RNG states (``_rng``).
- ``topk`` is exact blocked top-k search (BLAS tiles folded into heaps by ``_topk``).

Underscore modules are private: arrays and scalars in, arrays out, nothing validated. Only the
drivers here import them; the public API (``item2vec.model``, ``item2vec.scoring``) validates
input before any kernel runs.
"""
