"""Every default and tunable in one place, shared by the Python API, the CLI and the tests.

Training names and meanings follow gensim's ``Word2Vec`` so that users can carry settings over.
Modules read these at call time (``config.NEIGHBOURS``), so a test or a benchmark can change one
with ``monkeypatch.setattr(config, ...)`` and every caller sees it.
"""

# ---- training (gensim's defaults: right for text, wrong for clicks; see CLICK_PRESET) ----------
VECTOR_SIZE = 100
WINDOW = 5
NEGATIVE = 5
NS_EXPONENT = 0.75
SAMPLE = 1e-3
MIN_COUNT = 5
MAX_FINAL_VOCAB = None
EPOCHS = 5
ALPHA = 0.025
MIN_ALPHA = 1e-4
SG = True
SHRINK_WINDOWS = True
FORWARD_WINDOW = False
WHOLE_SENTENCE = False
BOTH_CONTEXTS = False
CONTEXT_SAMPLES = 0  # 0: every other item of the session is context (whole_sentence)
WORKERS = None  # None: one worker per available core
SEED = 1
COMPUTE_LOSS = True

#: Sentences longer than this are split into consecutive pieces (word2vec.c's MAX_SENTENCE_LENGTH).
MAX_SENTENCE_LENGTH = 10_000

#: gensim's ``Word2Vec`` defaults: the ``text`` preset.
TEXT_PRESET = {
    "vector_size": VECTOR_SIZE,
    "window": WINDOW,
    "negative": NEGATIVE,
    "ns_exponent": NS_EXPONENT,
    "sample": SAMPLE,
    "min_count": MIN_COUNT,
    "epochs": EPOCHS,
    "alpha": ALPHA,
    "min_alpha": MIN_ALPHA,
    "sg": SG,
    "shrink_windows": SHRINK_WINDOWS,
    "forward_window": FORWARD_WINDOW,
    "whole_sentence": WHOLE_SENTENCE,
    "both_contexts": BOTH_CONTEXTS,
    "context_samples": CONTEXT_SAMPLES,
    "init": "random",
}
#: The click-data settings (``Item2Vec(preset="clicks")``, trial 0 of ``item2vec tune``), chosen on
#: validation splits carved from the SR-GNN training files (never their tests): every item kept,
#: like the baselines; ns_exponent 0 and whole-session context won the searches on all three
#: datasets; half window, half session context (``both_contexts``) lifted Diginetica's validation
#: HR@20 from 0.486 (session) and 0.482 (window) to 0.51. 40 epochs at alpha 0.1 instead of 500 at
#: 0.025: Diginetica validation HR@20 0.473 in about a minute of fitting against 0.499 in 877 s
#: (alpha 0.025 at 20 epochs 0.402, 0.1 0.452, 0.3 0.368; 40 epochs at 0.05 0.458). With the
#: ``blend`` scoring (CLICK_SCORING) 25 epochs score as 40 on the three validation splits (20,000
#: pairs; Diginetica HR@20 / MRR@20 20 epochs 0.499/0.181, 25 0.501/0.181, 30 0.501/0.182, 40
#: 0.501/0.181; Tmall 25 0.456/0.247, 40 0.457/0.247; #nowplaying 25 0.230/0.082, 40 0.231/0.083)
#: in 5/8 of the time; README, "Click defaults".
CLICK_PRESET = {
    **TEXT_PRESET,
    "min_count": 1,
    "window": 1,
    "sample": 1e-4,
    "epochs": 25,
    "alpha": 0.1,
    "ns_exponent": 0.0,
    "both_contexts": True,
    "vector_size": 200,
}
#: How ``item2vec evaluate`` scores item2vec on click data unless told otherwise: the mixture of
#: the prefix items' next-item distributions, each blended with the item's observed successors.
#: Chosen on the validation splits of all three SR-GNN training files (20,000 pairs each, never the
#: tests): ``blend`` at BLEND_WEIGHT 0.2 lifted validation HR@20 / MRR@20 over ``mixture`` on
#: Diginetica (0.475/0.177 to 0.501/0.181) and #nowplaying (0.211/0.069 to 0.230/0.083) and cost
#: Tmall 0.006/0.001 (0.463/0.248 to 0.457/0.247); weights 0.1 and 0.3 were below 0.2 on two of
#: the three, and a decay of 0.5 or 0.65 cost Tmall 0.02-0.05 HR@20; README, "Click defaults".
#: Each model now chooses its own weight and decay in ``fit`` (BLEND_WEIGHTS, BLEND_DECAYS below),
#: and the share of its neighbour sessions (SESSION_WEIGHTS): weight 0.2 on those three; decay 0.8
#: on Diginetica and Tmall, 0.3 on #nowplaying; share 0.25 or 0.5 on Diginetica, 0 on the others.
CLICK_SCORING = {"scorer": "blend", "n_last": 100, "decay": 0.8, "temperature": 8.0}
#: ``Item2Vec(preset=...)``; ``auto`` picks ``clicks`` for a sessions corpus (``Corpus.kind``).
PRESETS = {"clicks": CLICK_PRESET, "text": TEXT_PRESET}
#: Observed successors (``Item2Vec.successors_``, the ``blend`` scorer's evidence from the training
#: sessions): each item keeps its this many heaviest successors at most this many clicks after it,
#: weighted 1 / distance (the ``sr`` baseline's defaults, except the longer lists).
SUCCESSOR_STEPS = 10
SUCCESSOR_PRUNING = 100
#: ``blend``: the share of each item's next-item distribution on its observed successors, for a
#: model that did not choose its own (``Item2Vec.blend_weight_``: text, a model saved before).
BLEND_WEIGHT = 0.2
#: The weights ``fit`` chooses among on the last BLEND_CALIBRATION_FRACTION of its training
#: sessions (at most BLEND_CALIBRATION_PAIRS pairs, else BLEND_WEIGHT below MIN_PAIRS; see
#: ``evaluation.calibration``). Validation on SR-GNN splits chose 0.2 (of 0.1, 0.2, 0.3), on
#: YOOCHOOSE and the demo log 0.8 (of 0.2, 0.4, 0.6, 0.8; 1.0 scored as 0.8 on the demo).
BLEND_WEIGHTS = (0.2, 0.5, 0.8)
#: The recency decays chosen among with the weight, the click scoring's 0.8 first: ``fit`` keeps
#: the first setting (weights, then decays, in this order) within one standard error of the best.
#: Validation of tune's scorings: Diginetica preferred 0.65, #nowplaying 0.5, the demo log 0.3,
#: Tmall 0.8 (0.5 and 0.65 cost it 0.02-0.05 HR@20).
BLEND_DECAYS = (0.8, 0.65, 0.5, 0.3)
#: ``blend``'s session neighbours (``scoring.session_neighbours``): the share of each session's
#: distribution on the items of its nearest training sessions in embedding space, for a model
#: holding a session pool that did not choose its own (``Item2Vec.session_weight_``), and the
#: shares ``fit`` chooses among with the weight and decay (these first: the configured share
#: first). Validation splits of the SR-GNN files (10,000 pairs, blend as chosen in fit): 0.5 lifted
#: HR@20 / MRR@20 on Diginetica from 0.496 / 0.181 to 0.516 / 0.185 and on #nowplaying from 0.228
#: / 0.087 to 0.241 / 0.089, and cost Tmall 0.001 / 0.004 (0.2: +0.002 / -0.001).
SESSION_WEIGHT = 0.5
SESSION_WEIGHTS = (0.5, 0.25, 0.0)
#: The pool: the most recent training sessions kept in the model, searched exhaustively per query.
SESSION_POOL = 200_000
SESSION_NEIGHBOURS = 100
SESSION_SHARPNESS = 30
SESSION_QUERY_DECAY = 0.5
BLEND_CALIBRATION_FRACTION = 0.1
BLEND_CALIBRATION_PAIRS = 2_000
BLEND_CALIBRATION_MIN_PAIRS = 200
#: Warn when ``min_count`` (or ``max_final_vocab``) drops more than this share of the items.
PRUNED_WARNING_SHARE = 0.5

#: Attribute tokens (``fit(item_attributes=...)``, ``--attribute-weight``): each is an extra context
#: of every occurrence of its item, its step this many times an item context's. Validation chose 0.3
#: (of 0.3, 1, 3) on MovieLens genres and 1 on the Taobao sample's categories (README, "Attributes,
#: cold start and warm refresh"); 1 treats a token like an item context.
ATTRIBUTE_WEIGHT = 1.0

#: Early stopping (``fit(early_stopping=...)``, ``--early-stop``): score the validation pairs every
#: this many epochs, and stop after this many checks without a better score.
EARLY_STOP_EVERY = 5
EARLY_STOP_PATIENCE = 2

#: In-group negatives (``group_negatives=COLUMN``, ``--group-negative-count``): negatives drawn per
#: positive example from the centre item's own group, besides the ``negative`` noise items.
#: Validation chose 1 (of 1, 2, 5) on MovieLens first genres by within-genre HR@20 (2 on the tiny
#: Taobao sample); README, "Attributes, cold start and warm refresh".
GROUP_NEGATIVE_COUNT = 1

#: Warm start (``init="sppmi"``): session pairs are counted up to this distance.
WARM_START_MAX_DISTANCE = 50

#: On-disk model format version; ``Item2Vec.load`` refuses other versions with a clear error.
MODEL_FORMAT_VERSION = 1

# ---- scoring (``item2vec.scoring.ScoringOptions``) ---------------------------------------------
K = 20
SCORER = "mean"
N_LAST = 5
DECAY = 0.7
#: Default temperature of each mixture scorer: cosines of close items differ by hundredths, the
#: skip-gram's input . output logits by units (both measured best on validation splits).
NEIGHBOURS_TEMPERATURE = 0.1
MIXTURE_TEMPERATURE = 4.0
#: Serving (``recommend``, the MLflow model) never shows a session its own items unless asked;
#: evaluation keeps them as candidates unless asked, because 7-45% of next items are repeats on
#: the SR-GNN files and the baselines are scored the same way.
SERVING_EXCLUDE_SEEN = True
EVALUATION_EXCLUDE_SEEN = False
#: Nearest items each session item reaches with the mixture scorers (more changed nothing measurable).
NEIGHBOURS = 200
#: ``mixture``: the share of each item's next-item distribution on the item itself for models saved
#: before it was measured from the training sessions (Diginetica's validation split scored the
#: same for 0.1 to 0.5; 20% of its next items repeat a prefix item).
REPEAT_SHARE = 0.3
#: Sessions whose query vectors are built at once (bounds memory: 64k x dim x 4 bytes); also the
#: CLI's default chunk of sessions read, scored and written at a time.
BATCH_SIZE = 65_536
#: Sessions scored at once by the mixture scorers (bounds their sparse scores to ~100 MB).
NEIGHBOUR_BATCH_SIZE = 8_192

# ---- exact top-k search (``item2vec.engine.topk``) ---------------------------------------------
#: Queries per task and items per tile: a 256 x 4096 float32 tile (4 MiB) stays in L2/L3.
ROWS_PER_TASK = 256
ITEMS_PER_TILE = 4096
#: Candidates kept beyond ``k`` per query for the exact float64 rescoring.
RESCORE_MARGIN = 8

# ---- audiences ------------------------------------------------------------------------------
#: Half-life of an event's weight in a user vector built from an event log.
HALF_LIFE_DAYS = 30.0

# ---- evaluation and tuning ------------------------------------------------------------------
KS = (20,)
#: Prefixes scored at once by the dense baselines (a 512 x catalogue float32 block).
BASELINE_BATCH = 512
#: Validation metric that picks each model's trial and scoring: NDCG@20 credits a hit by its rank,
#: so one number serves both targets (HR@20 alone picked variants that gained hits but lost rank).
SELECT = "NDCG@20"
VALIDATION_FRACTION = 0.1
VALIDATION_PAIRS = 10_000
#: Tuning grids shared by the session-kNN baselines (sknn, vsknn, stan, vstan): the neighbours
#: kept and the most recent candidate sessions sampled, the ranges session-rec tuned over.
SESSION_KNN_K_GRID = (50, 100, 200, 500, 1000, 1500, 2000)
SESSION_KNN_SAMPLE_GRID = (500, 1000, 2500, 5000, 10000)

# ---- Spark (``--engine spark``; README "Scaling out") --------------------------------------
#: Master when the CLI starts Spark itself (not under ``spark-submit``): every local core.
SPARK_LOCAL_MASTER = "local[*]"
#: Shuffle partitions in that local session (Spark's 200 cost more in task overhead than they
#: spread on one machine).
SPARK_LOCAL_SHUFFLE_PARTITIONS = 8
#: Spark's own log level: FATAL, so a failed task's stack trace does not bury the one-line error.
SPARK_LOG_LEVEL = "FATAL"
#: Scoring threads per Spark task: Spark runs one task per executor core already.
SPARK_SCORING_THREADS = 1
