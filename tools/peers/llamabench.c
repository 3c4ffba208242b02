// llamabench times llama.cpp on a GGUF file with the workloads of hfserve's
// engine benchmarks (internal/bench): prefill of a P-token prompt, and
// decode of N tokens one step at a time for S sequences in parallel after a
// 16-token prompt each. Only the last row's logits are computed, as in
// hfserve. It prints one JSON line per test with every repetition's time.
//
// It is a peer yardstick, built and run by tools/peers/run.sh against the
// llama.cpp headers and shared libraries shipped in the npm packages
// node-llama-cpp and @node-llama-cpp/linux-x64; it is never part of the Go
// build.
//
// usage: llamabench MODEL.gguf THREADS PROMPT DECODE SEQS REPS LIBDIR
//        llamabench --logits MODEL.gguf LIBDIR ID...
//        llamabench --load MODEL.gguf THREADS REPS LIBDIR [cold]
//
// --logits prints the last token's logits for the prompt ID... as one JSON
// array, so that tools/peers/check_logits.py can compare llama.cpp's
// reading of a converted checkpoint with the fixture's golden logits.
//
// --load times REPS fresh starts, like internal/bench's BenchmarkLoad: the
// model load (test "load") and, from the same start, a context and the
// logits of a 16-token prompt (test "ttft16": time to first token). With
// "cold" the file is evicted from the page cache (posix_fadvise DONTNEED)
// before each start.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "llama.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool no_progress(float progress, void *user) {
    (void)progress;
    (void)user;
    return true;
}

static void quiet(enum ggml_log_level level, const char *text, void *user) {
    (void)user;
    if (level >= GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

// tok is a deterministic token id in [3, n_vocab), the same formula as
// internal/bench's prompt, so every engine sees the same ids.
static llama_token tok(int i, int n_vocab) { return (llama_token)(3 + (i * 7919) % (n_vocab - 3)); }

static void print_runs(const char *test, int threads, int tokens, const double *t, int reps) {
    printf("{\"peer\":\"llama.cpp\",\"test\":\"%s\",\"threads\":%d,\"tokens\":%d,\"seconds\":[", test, threads, tokens);
    for (int i = 0; i < reps; i++) printf("%s%.6f", i ? "," : "", t[i]);
    printf("]}\n");
    fflush(stdout);
}

static struct llama_model *load_model(const char *path, const char *libdir) {
    llama_log_set(quiet, NULL);
    ggml_backend_load_all_from_path(libdir);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    mp.progress_callback = no_progress;
    struct llama_model *model = llama_model_load_from_file(path, mp);
    if (!model) fprintf(stderr, "llamabench: cannot load %s\n", path);
    return model;
}

static int print_logits(int argc, char **argv) {
    struct llama_model *model = load_model(argv[2], argv[3]);
    if (!model) return 1;
    int n = argc - 4;
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)(n + 16);
    cp.n_batch = cp.n_ubatch = (uint32_t)(n + 16);
    cp.n_threads = cp.n_threads_batch = 1;
    cp.type_k = cp.type_v = GGML_TYPE_F32; // the default F16 cache would add its own rounding
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED; // its CPU kernel rounds Q to F16
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) return 1;
    llama_token *ids = malloc(sizeof *ids * (size_t)n);
    for (int i = 0; i < n; i++) ids[i] = atoi(argv[4 + i]);
    if (llama_decode(ctx, llama_batch_get_one(ids, n)) != 0) {
        fprintf(stderr, "llamabench: decode failed\n");
        return 1;
    }
    const float *lg = llama_get_logits_ith(ctx, -1);
    int nv = llama_vocab_n_tokens(llama_model_get_vocab(model));
    printf("[");
    for (int i = 0; i < nv; i++) printf("%s%.7g", i ? "," : "", lg[i]);
    printf("]\n");
    free(ids);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}

// evict drops path's pages from the page cache.
static int evict(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    int err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
    return err;
}

static int time_load(int argc, char **argv) {
    const char *path = argv[2];
    int threads = atoi(argv[3]), reps = atoi(argv[4]);
    int cold = argc > 6 && strcmp(argv[6], "cold") == 0;
    const int n = 16;
    if (threads < 1 || reps < 1) {
        fprintf(stderr, "llamabench: arguments must be positive\n");
        return 2;
    }
    llama_log_set(quiet, NULL);
    ggml_backend_load_all_from_path(argv[5]);
    llama_backend_init();
    double *tl = calloc((size_t)reps, sizeof *tl), *tf = calloc((size_t)reps, sizeof *tf);
    llama_token ids[16];
    for (int r = 0; r < reps; r++) {
        if (cold && evict(path) != 0) {
            fprintf(stderr, "llamabench: cannot evict %s\n", path);
            return 1;
        }
        double s = now();
        struct llama_model_params mp = llama_model_default_params();
        mp.n_gpu_layers = 0;
        mp.progress_callback = no_progress;
        struct llama_model *model = llama_model_load_from_file(path, mp);
        if (!model) {
            fprintf(stderr, "llamabench: cannot load %s\n", path);
            return 1;
        }
        tl[r] = now() - s;
        int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
        for (int i = 0; i < n; i++) ids[i] = tok(i, n_vocab);
        struct llama_context_params cp = llama_context_default_params();
        cp.n_ctx = 64;
        cp.n_batch = cp.n_ubatch = 64;
        cp.n_threads = cp.n_threads_batch = threads;
        cp.no_perf = true;
        struct llama_context *ctx = llama_init_from_model(model, cp);
        if (!ctx || llama_decode(ctx, llama_batch_get_one(ids, n)) != 0) {
            fprintf(stderr, "llamabench: first forward pass failed\n");
            return 1;
        }
        llama_synchronize(ctx);
        tf[r] = now() - s;
        llama_free(ctx);
        llama_model_free(model);
    }
    print_runs(cold ? "load-cold" : "load-warm", threads, 1, tl, reps);
    print_runs(cold ? "ttft16-cold" : "ttft16-warm", threads, 1, tf, reps);
    free(tl);
    free(tf);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "--logits") == 0) return print_logits(argc, argv);
    if (argc >= 6 && strcmp(argv[1], "--load") == 0) return time_load(argc, argv);
    if (argc != 8) {
        fprintf(stderr, "usage: %s MODEL.gguf THREADS PROMPT DECODE SEQS REPS LIBDIR\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    int threads = atoi(argv[2]), prompt = atoi(argv[3]), decode = atoi(argv[4]);
    int seqs = atoi(argv[5]), reps = atoi(argv[6]);
    const int warm = 16; // prompt length before the timed decode steps
    if (threads < 1 || prompt < 1 || decode < 1 || seqs < 1 || reps < 1) {
        fprintf(stderr, "llamabench: arguments must be positive\n");
        return 2;
    }

    double t0 = now();
    struct llama_model *model = load_model(path, argv[7]);
    if (!model) return 1;
    double load = now() - t0;
    int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));

    struct llama_context_params cp = llama_context_default_params();
    int ctx_tokens = prompt > warm + decode ? prompt : warm + decode;
    cp.n_ctx = (uint32_t)((ctx_tokens + 64) * seqs);
    cp.n_batch = (uint32_t)(prompt > seqs * warm ? prompt : seqs * warm);
    cp.n_ubatch = cp.n_batch;
    cp.n_seq_max = (uint32_t)seqs;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.no_perf = true;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) {
        fprintf(stderr, "llamabench: cannot create a context\n");
        return 1;
    }
    llama_memory_t mem = llama_get_memory(ctx);
    fprintf(stderr, "llamabench: %s loaded in %.2fs, vocab %d, threads %d\n", path, load, n_vocab, threads);
    fprintf(stderr, "llamabench: %s\n", llama_print_system_info());

    double *t = calloc((size_t)reps, sizeof *t);
    llama_token *toks = malloc(sizeof *toks * (size_t)(prompt > warm ? prompt : warm));
    for (int i = 0; i < (prompt > warm ? prompt : warm); i++) toks[i] = tok(i, n_vocab);

    // Prefill: one sequence, the whole prompt in one llama_decode. One
    // untimed short prompt first faults in the weights and starts the
    // thread pool.
    if (seqs == 1) {
        for (int r = -1; r < reps; r++) {
            llama_memory_clear(mem, true);
            double s = now();
            if (llama_decode(ctx, llama_batch_get_one(toks, r < 0 ? warm : prompt)) != 0) {
                fprintf(stderr, "llamabench: prefill failed\n");
                return 1;
            }
            llama_synchronize(ctx);
            if (r >= 0) t[r] = now() - s;
        }
        char name[64];
        snprintf(name, sizeof name, "prefill%d", prompt);
        print_runs(name, threads, prompt, t, reps);
    }

    // Decode: S sequences, each after its own 16-token prompt, then DECODE
    // steps of one token per sequence in one batch.
    struct llama_batch b = llama_batch_init(seqs * warm, 0, 1);
    for (int r = -1; r < reps; r++) {
        llama_memory_clear(mem, true);
        b.n_tokens = 0;
        for (int s = 0; s < seqs; s++) {
            for (int i = 0; i < warm; i++) {
                int k = b.n_tokens++;
                b.token[k] = toks[i];
                b.pos[k] = i;
                b.n_seq_id[k] = 1;
                b.seq_id[k][0] = s;
                b.logits[k] = i == warm - 1;
            }
        }
        if (llama_decode(ctx, b) != 0) {
            fprintf(stderr, "llamabench: decode warm-up failed\n");
            return 1;
        }
        double st = now();
        for (int step = 0; step < decode; step++) {
            b.n_tokens = 0;
            for (int s = 0; s < seqs; s++) {
                int k = b.n_tokens++;
                b.token[k] = tok(warm + step + s, n_vocab);
                b.pos[k] = warm + step;
                b.n_seq_id[k] = 1;
                b.seq_id[k][0] = s;
                b.logits[k] = 1;
            }
            if (llama_decode(ctx, b) != 0) {
                fprintf(stderr, "llamabench: decode failed\n");
                return 1;
            }
        }
        llama_synchronize(ctx);
        if (r >= 0) t[r] = now() - st;
    }
    char name[64];
    snprintf(name, sizeof name, "decode_batch%d", seqs);
    print_runs(name, threads, decode * seqs, t, reps);

    llama_batch_free(b);
    free(t);
    free(toks);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
