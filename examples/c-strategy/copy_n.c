/*
 * copy-n: a transfer strategy written in C against harness_strategy.h alone.
 * The first n layers are copied from the source network and trained at lr_mult times the base
 * rate (0 freezes them, Yosinski's AnB; 1 fine-tunes them, AnB+); the rest start fresh.
 *
 * Build and install:
 *     cc -shared -fPIC $(harness sdk --cflags) copy_n.c -o copy-n.so
 *     mkdir -p ~/.local/share/harness/plugins && cp copy-n.so ~/.local/share/harness/plugins/
 * Then `harness strategies` lists it, and strategies.json can name it:
 *     "copy2": { "strategy": "copy-n", "parameters": { "n": 2, "lr_mult": 0.5 } }
 *
 * Strategy ABI 2: a zero in harness_training means the host's default (the task's epochs, batch
 * size, rate and weight decay; momentum 0.9; onecycle), and configure_error says why configure
 * refused. (Tests/Fixtures/v1 keeps this example as it was for ABI 1: the host still runs it.)
 */
#include <harness_strategy.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct { int n; double lr_mult; } config;

static char refusal[160];

/* Typed configure: the host converts strategies.json's values to these C types (via libffi). */
static void *configure(int n, double lr_mult) {
    if (n < 0 || lr_mult < 0) {
        snprintf(refusal, sizeof refusal, "n (%d) and lr_mult (%g) must not be negative", n, lr_mult);
        return NULL;
    }
    config *c = malloc(sizeof *c);
    c->n = n;
    c->lr_mult = lr_mult;
    return c;
}

static int run(void *state, const harness_task *task, const harness_engine *e, harness_host *h, int32_t *predictions) {
    const config *c = state;
    harness_network *net = e->new_network(h, task->source, task->classes, task->seed);
    if (!net) return 1; /* new_network already set the error */
    int layers = e->layer_count(h, net);
    if (c->n >= layers) {
        char why[128];
        snprintf(why, sizeof why, "n = %d, but only layers 0 to %d can be copied", c->n, layers - 1);
        e->set_error(h, why);
        e->release_network(h, net);
        return 1;
    }
    int status = 0;
    for (int i = 0; i < c->n && status == 0; i++) {
        const char *name = e->layer_name(h, net, i);
        status = e->copy_layer(h, net, task->source, name);
        if (status == 0) status = e->set_learning_rate_multiplier(h, net, name, c->lr_mult);
    }
    harness_training t = { .struct_size = sizeof t }; /* every setting the host's default */
    if (status == 0) status = e->train(h, net, &task->train, &t);
    if (status == 0) status = e->predict(h, net, &task->eval, predictions);
    e->release_network(h, net);
    return status;
}

static void release(void *state) { free(state); }

static const char *configure_error(void) { return refusal; }

static const harness_parameter parameters[] = {
    { "n", HARNESS_INT, "2", "how many leading layers to copy" },
    { "lr_mult", HARNESS_DOUBLE, "0", "learning-rate multiplier of the copied layers (0 freezes them)" },
};

static const harness_strategy strategy = {
    .abi_version = HARNESS_STRATEGY_ABI_VERSION,
    .struct_size = sizeof(harness_strategy),
    .name = "copy-n",
    .version = "1.0",
    .summary = "first n layers copied, trained at lr_mult (C example)",
    .parameters = parameters,
    .parameter_count = 2,
    .configure = (void *)configure,
    .run = run,
    .release = release,
    .configure_error = configure_error,
};

const harness_strategy *harness_strategy_entry_v2(void) { return &strategy; }
