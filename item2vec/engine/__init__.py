"""Private Numba kernels: arrays and scalars in, arrays out. Nothing here validates input;
the public API (``item2vec.model``) does that before any kernel runs."""
