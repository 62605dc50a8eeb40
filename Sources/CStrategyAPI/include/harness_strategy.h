/*
 * harness_strategy.h: the binary contract between harness and a transfer-strategy plugin.
 *
 * A strategy is a shared library exporting one C function, HARNESS_STRATEGY_ENTRY, that returns
 * a harness_strategy descriptor. Only C types cross this boundary: Swift has no stable ABI on
 * Linux, and a plugin may be built by another compiler, Swift version or language.
 *
 * What a strategy gets: the source network (trained on the source classes), the target task's
 * training images with labels, the evaluation images WITHOUT labels, its parameters, a seed, and
 * a table of engine functions from the host. What it returns: one predicted class per evaluation
 * image. The host alone holds the evaluation labels and computes every metric.
 *
 * Build a strategy in C against this header alone:
 *     cc -shared -fPIC $(harness sdk --cflags) my_strategy.c -o my-strategy.so
 * and drop the .so into a plugin directory (see `harness strategies --help`).
 *
 * Versioning: HARNESS_STRATEGY_ABI_VERSION changes whenever the contract changes meaning; the
 * entry symbol carries the version. The host loads version 2 (harness_strategy_entry_v2) and still
 * loads and runs version 1 plugins (harness_strategy_entry_v1) unchanged: every version-2 field was
 * appended to a version-1 struct, and struct_size fields say which fields a side knows. Fields
 * marked "since" were appended; a reader checks struct_size before reading them (HARNESS_HAS_FIELD).
 *
 * Version 2 adds: unlabelled target training images and the source's labelled training images
 * in the task (domain adaptation); loss terms as data in harness_training (L2-SP, distillation,
 * MMD, CORAL, domain-adversarial), of which version 1's l2sp and distillation fields are two;
 * training settings where 0 or NULL means the host's default; and configure_error, so a
 * plugin's own reason for refusing its parameters reaches the user.
 */
#ifndef HARNESS_STRATEGY_H
#define HARNESS_STRATEGY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HARNESS_STRATEGY_ABI_VERSION 2
#define HARNESS_STRATEGY_ENTRY "harness_strategy_entry_v2"
/* The version-1 entry symbol, which the host still loads. */
#define HARNESS_STRATEGY_ENTRY_V1 "harness_strategy_entry_v1"
/* Entry symbols of other ABI versions the host looks for, to name the mismatch. */
#define HARNESS_STRATEGY_ENTRY_PREFIX "harness_strategy_entry_v"

/* Whether a struct of the given struct_size holds a field appended after the first release. */
#define HARNESS_HAS_FIELD(pointer, type, field) \
    ((pointer)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* ---- Parameters ------------------------------------------------------------------------ */

typedef enum harness_type {
    HARNESS_INT = 1,    /* C type: int */
    HARNESS_DOUBLE = 2, /* C type: double */
    HARNESS_BOOL = 3,   /* C type: int (0 or 1) */
    HARNESS_STRING = 4  /* C type: const char * (valid during configure only) */
} harness_type;

typedef struct harness_parameter {
    const char *name;
    harness_type type;
    const char *default_value; /* text: "3", "0.1", "true", "fc7" */
    const char *help;
} harness_parameter;

/* A parameter after the host converted it from strategies.json (configure_values form). */
typedef struct harness_value {
    harness_type type;
    int64_t integer;     /* HARNESS_INT and HARNESS_BOOL */
    double number;       /* HARNESS_DOUBLE */
    const char *string;  /* HARNESS_STRING */
} harness_value;

/* ---- Data ------------------------------------------------------------------------------ */

typedef struct harness_images {
    const float *pixels;   /* count x channels x height x width, normalised */
    const int32_t *labels; /* NULL for evaluation images */
    int64_t count;
    int32_t channels, height, width;
} harness_images;

typedef struct harness_network harness_network; /* opaque; owned by the host */
typedef struct harness_host harness_host;       /* opaque; pass back to every engine call */

typedef struct harness_task {
    uint32_t struct_size;
    const harness_network *source; /* trained on the source classes */
    harness_images train;          /* target training images, with labels */
    harness_images eval;           /* evaluation images, no labels */
    int32_t classes;               /* number of target classes */
    uint64_t seed;
    int32_t epochs;                /* training epochs the user asked for */
    int32_t batch_size;            /* minibatch size the user asked for */
    double learning_rate;          /* base learning rate the user asked for */
    /* Since 1.1: the weight decay (L2 on weights) the comparison chose; read it only when
     * HARNESS_HAS_FIELD(task, harness_task, weight_decay), else use 5e-4. */
    double weight_decay;
    /* Since 2: the target's unlabelled training images, for domain adaptation (labels NULL;
     * count 0 when the task has none). They are never evaluation images. */
    harness_images unlabelled;
    /* Since 2: the source's labelled training images, where the scenario has them (count 0
     * otherwise), e.g. to train a source-only baseline or an adaptation method from scratch.
     * Their labels are source classes, 0 .. source_classes - 1. */
    harness_images source_train;
    int32_t source_classes;
} harness_task;

/* ---- Training settings ----------------------------------------------------------------- */

/* A term added to the classification loss of a training run, weighted by weight (lambda).
 * kind:
 *   "l2sp"          weight/2 ||w - w_anchor||^2 over the layers shared with anchor by name and
 *                   shape, replacing their weight decay (Li et al. 2018). layer ignored.
 *   "distillation"  weight/2 mean ||f(x) - f_anchor(x)||^2 at layer's output (anchor's same layer).
 *   "mmd"           multi-kernel MMD^2 between the source and target rows' features at layer
 *                   (DDC: one term; DAN: a term per layer). options: "bandwidths=0.25,0.5,1,2,4",
 *                   multiples of the batch's mean squared distance (the default).
 *   "coral"         |C_source - C_target|_F^2 / (4 d^2) of the features at layer (Deep CORAL).
 *   "adversarial"   a domain discriminator on layer's features behind gradient reversal (DANN).
 *                   options: "hidden=256" (its two hidden layers' width, the default).
 * "mmd", "coral" and "adversarial" need the task's unlabelled target images: each training batch
 * is then followed by as many of them, and the classification loss reads the labelled rows only.
 * layer: a layer name, or NULL for "penultimate" (the features the classifier reads).
 * warm_up: non-zero ramps the weight from 0 as lambda x (2 / (1 + exp(-10 p)) - 1) over training
 * progress p (Ganin et al. 2016). */
typedef struct harness_loss_term {
    const char *kind;
    const char *layer;
    double weight;
    int32_t warm_up;
    const harness_network *anchor; /* l2sp, distillation */
    const char *options;           /* NULL, or "key=value;key=value" */
} harness_loss_term;

/* Since 2, a field of 0 (or NULL) means the host's default, so defaults live in one place: the
 * hyperparameters of the comparison's cell (its epochs, batch_size, learning_rate and weight_decay
 * are also in harness_task; its momentum, l1 and schedule default to 0.9, 0 and "onecycle");
 * HARNESS_NONE for no momentum or no weight decay; seed the task's. The onecycle schedule cycles
 * momentum between 0.85 and 0.95 itself, so a momentum other than 0.9 under it is refused (train
 * fails with the reason) rather than ignored: choose "constant", "cosine" or "step:E:G" to set it.
 * A version-1 plugin's struct (struct_size before terms) is read as it always was. */
#define HARNESS_NONE (-1.0)

typedef struct harness_training {
    uint32_t struct_size;
    int32_t epochs;
    int32_t batch_size;
    double learning_rate;  /* base (peak for onecycle) */
    double momentum;
    double weight_decay;   /* L2 on weights, not biases */
    double l1;
    const char *schedule;  /* "onecycle", "cosine", "constant", "step:EPOCHS:GAMMA" */
    uint64_t seed;
    /* Conservation penalties toward an anchor network (0 disables each):
     *   l2sp * 1/2 ||w - w_anchor||^2 over the layers the two networks share by name and shape
     *   (their weight decay is replaced by it: L2-SP, Li et al. 2018), and
     *   distillation * 1/2 mean ||f(x) - f_anchor(x)||^2 over the output of layer distill_layer. */
    const harness_network *anchor;
    double l2sp;
    double distillation;
    const char *distill_layer;     /* a layer name, or "penultimate" (see features) */
    /* Since 2: the loss terms (version 2 plugins use these instead of anchor, l2sp and
     * distillation above, which must then be 0/NULL). */
    const harness_loss_term *terms;
    uint32_t term_count;
} harness_training;

/* ---- The engine the host lends to a strategy ------------------------------------------ */
/* Calls returning int return 0 on success; on failure, last_error says why. */

typedef struct harness_engine {
    uint32_t abi_version;
    uint32_t struct_size;

    /* A network of `like`'s spec with a fresh classifier for `classes` classes, every layer
     * freshly initialised (Xavier) from `seed`. Release it with release_network. */
    harness_network *(*new_network)(harness_host *, const harness_network *like, int32_t classes, uint64_t seed);
    void (*release_network)(harness_host *, harness_network *);

    /* The transfer units, in order: the learnable layers (conv1 ... fc8) of the default spec; the
       stem, residual blocks and classifier (conv1, layer1.0, ..., fc) of a ResNet. Copying,
       freezing or re-initialising a unit acts on all its layers, batch normalisation included. */
    int32_t (*layer_count)(harness_host *, const harness_network *);
    const char *(*layer_name)(harness_host *, const harness_network *, int32_t index);

    int (*copy_layer)(harness_host *, harness_network *to, const harness_network *from, const char *layer);
    /* initializer: "xavier", "he", "gaussian:SIGMA", "constant:VALUE" */
    int (*reinitialize)(harness_host *, harness_network *, const char *layer, const char *initializer, uint64_t seed);
    /* 0 freezes the layer (Caffe's lr_mult); 1 is the normal rate. */
    int (*set_learning_rate_multiplier)(harness_host *, harness_network *, const char *layer, double multiplier);

    int (*train)(harness_host *, harness_network *, const harness_images *data, const harness_training *settings);

    /* The output of `layer` for each image, written as count x width floats into out (capacity
     * floats available). Pass out = NULL to learn the width first. Any layer name of the network,
     * or "penultimate": the features its classifier reads (the last layer before the classifier
     * that is not dropout; relu7 in the default network), whatever the architecture. */
    int (*features)(harness_host *, const harness_network *, const char *layer, const harness_images *images,
                    float *out, int64_t capacity, int64_t *width);
    /* One predicted class per image. */
    int (*predict)(harness_host *, const harness_network *, const harness_images *images, int32_t *out);

    /* A line of progress in the harness's log. */
    void (*log)(harness_host *, const char *message);
    /* Why the last call failed; also where a strategy reports its own failure (set_error). */
    const char *(*last_error)(harness_host *);
    void (*set_error)(harness_host *, const char *message);

    /* Since 2.1 (HARNESS_HAS_FIELD(engine, harness_engine, new_linear) says whether the host has
     * it): a linear classifier over feature vectors, a network whose input is `width` features
     * (images of channels = width, height = width = 1) and whose one layer, the classifier "fc",
     * is fully connected to `classes` outputs, initialised as new_network does. Train, predict,
     * reinitialise and release it as any network: a linear probe on features with the engine's
     * own training loop. */
    harness_network *(*new_linear)(harness_host *, int32_t width, int32_t classes, uint64_t seed);

    /* Since 2.2 (HARNESS_HAS_FIELD(engine, harness_engine, set_parameter_learning_rate_multiplier)):
     * the learning-rate multiplier of one kind of parameter of a unit or layer, or of every layer
     * with layer = "*"; other parameters keep theirs. kind: "weight" (convolution and fully
     * connected weights), "bias" (their biases and batch normalisation's shift), "bn" (batch
     * normalisation's scale and shift) or "all". BitFit: "*" "all" 0, then "*" "bias" 1. */
    int (*set_parameter_learning_rate_multiplier)(harness_host *, harness_network *, const char *layer, const char *kind, double multiplier);
} harness_engine;

/* ---- The strategy ---------------------------------------------------------------------- */

typedef struct harness_strategy {
    uint32_t abi_version; /* HARNESS_STRATEGY_ABI_VERSION */
    uint32_t struct_size; /* sizeof(harness_strategy) */
    const char *name;     /* as used in strategies.json: "freeze-n" */
    const char *version;
    const char *summary;
    const harness_parameter *parameters;
    uint32_t parameter_count;

    /* Exactly one of the two configure forms. Either returns the strategy's state (or NULL on
     * bad parameters, after calling nothing: the host reports the parameters it passed, and
     * configure_error's text when there is one).
     *
     * Typed: a C function taking the parameters in declaration order as their C types,
     *     void *configure(int n, double lr_mult);
     * which the host calls through libffi. */
    void *configure;
    /* Values: the parameters converted, in declaration order (the form Swift strategies use). */
    void *(*configure_values)(const harness_value *values, uint32_t count);

    /* Writes task->eval.count predictions. Returns 0, or non-zero after engine->set_error. */
    int (*run)(void *state, const harness_task *task, const harness_engine *engine, harness_host *host,
               int32_t *predictions);
    void (*release)(void *state);

    /* Since 1.1, optional (NULL, or an older plugin whose struct_size ends before it): the values
     * each parameter may take, parameter_count entries in declaration order, each NULL or
     *     "MIN..MAX"  for numbers (either end may be left out: "0..", "..1"), or
     *     "a|b|c"     for strings.
     * The host refuses configurations and search spaces outside them, with the place in
     * strategies.json, before any cell runs. */
    const char *const *parameter_ranges;
    /* Since 2, optional: after configure (either form) returned NULL, why, in the plugin's own
     * words ("n = 9: the network has 8 layers"); the host shows it to the user. */
    const char *(*configure_error)(void);
} harness_strategy;

typedef const harness_strategy *(*harness_strategy_entry_fn)(void);

#ifdef __cplusplus
}
#endif
#endif
