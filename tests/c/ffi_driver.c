/*
 * Drives the filesync_identity C ABI end to end, as a C host would: a session, an explain request, a bad
 * request, a cancel from another thread, NULL and invalid UTF-8 inputs, concurrent requests, and every
 * object freed. Built and run (also under valgrind) by tests/ffi_c.rs.
 *
 * Usage: ffi_driver [--debug-hooks]   (--debug-hooks: the library is a debug build, so the request field
 * "ffiTestDelayMs" makes a request wait, which the cancel case needs)
 * Prints one line per check and exits non-zero on the first failure.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filesync_identity.h"

static int checks = 0;

#define CHECK(cond, ...)                                                                                     \
    do {                                                                                                     \
        checks++;                                                                                            \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                  \
            fprintf(stderr, __VA_ARGS__);                                                                    \
            fprintf(stderr, "\n");                                                                           \
            exit(1);                                                                                         \
        }                                                                                                    \
    } while (0)

/* Copy a buffer into a NUL-terminated string (caller frees) and free the buffer. */
static char *take(fsi_buffer *buf) {
    CHECK(buf != NULL, "expected a buffer");
    size_t len = fsi_buffer_len(buf);
    const uint8_t *data = fsi_buffer_data(buf);
    CHECK(data != NULL || len == 0, "data of a live buffer");
    char *s = malloc(len + 1);
    memcpy(s, data, len);
    s[len] = 0;
    fsi_buffer_free(buf);
    return s;
}

static char *last_error(void) {
    fsi_buffer *buf = NULL;
    CHECK(fsi_last_error(&buf) == FSI_RESULT_OK, "fsi_last_error");
    return take(buf);
}

static fsi_result run(fsi_session *s, const char *json, char **out) {
    fsi_request *r = NULL;
    fsi_result rc = fsi_request_start(s, (const uint8_t *)json, strlen(json), &r);
    CHECK(rc == FSI_RESULT_OK && r != NULL, "start %s: %d", json, rc);
    CHECK(fsi_request_wait(r, 0xFFFFFFFFu) == FSI_RESULT_OK, "wait");
    fsi_buffer *events = NULL;
    CHECK(fsi_events_take(r, &events) == FSI_RESULT_OK, "events");
    char *ev = take(events);
    CHECK(ev[0] == '[', "events are a JSON array: %s", ev);
    free(ev);
    fsi_buffer *buf = NULL;
    rc = fsi_request_take_result(r, &buf);
    *out = take(buf);
    fsi_buffer *again = NULL;
    CHECK(fsi_request_take_result(r, &again) == FSI_RESULT_ALREADY_TAKEN && again == NULL, "second take");
    fsi_request_free(r);
    return rc;
}

struct cancel_arg {
    fsi_request *request;
    int delay_ms;
    fsi_result rc;
};

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *canceller(void *p) {
    struct cancel_arg *a = p;
    sleep_ms(a->delay_ms);
    a->rc = fsi_request_cancel(a->request);
    return NULL;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *p) {
    fsi_session *s = p;
    for (int i = 0; i < 10; i++) {
        char *out = NULL;
        fsi_result rc = run(s, "{\"operation\":\"noSuchOperation\"}", &out);
        CHECK(rc == FSI_RESULT_INVALID_INPUT, "concurrent bad request: %d %s", rc, out);
        free(out);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int debug_hooks = argc > 1 && strcmp(argv[1], "--debug-hooks") == 0;

    const char *version = fsi_version();
    CHECK(version != NULL && strlen(version) > 0, "version");
    printf("ok - version %s\n", version);

    /* A fresh thread has no error. */
    char *e = last_error();
    CHECK(strstr(e, "\"code\":0") != NULL, "no error yet: %s", e);
    free(e);

    /* Session: good options, then bad ones. */
    const char *opts = "{\"cloud\":\"AzureCloud\",\"armEndpoint\":\"http://127.0.0.1:9\",\"timeoutSeconds\":5}";
    fsi_session *s = NULL;
    CHECK(fsi_session_new((const uint8_t *)opts, strlen(opts), &s) == FSI_RESULT_OK && s != NULL, "session");
    /* The length is explicit: a prefix of a longer buffer is read, no NUL needed. */
    const char *padded = "{}garbage";
    fsi_session *s2 = NULL;
    CHECK(fsi_session_new((const uint8_t *)padded, 2, &s2) == FSI_RESULT_OK, "explicit length");
    fsi_session_free(s2);
    printf("ok - session\n");

    fsi_session *bad = (fsi_session *)0x1;
    CHECK(fsi_session_new(NULL, 2, &bad) == FSI_RESULT_NULL_POINTER && bad == NULL, "NULL options");
    e = last_error();
    CHECK(strstr(e, "\"kind\":\"NullPointer\"") != NULL, "%s", e);
    free(e);
    CHECK(fsi_session_new((const uint8_t *)"{}", 2, NULL) == FSI_RESULT_NULL_POINTER, "NULL out");
    const char bad_utf8[] = "{\"cloud\":\"\xc3\x28\"}";
    CHECK(fsi_session_new((const uint8_t *)bad_utf8, sizeof bad_utf8 - 1, &bad) == FSI_RESULT_INVALID_UTF8, "UTF-8");
    e = last_error();
    CHECK(strstr(e, "\"kind\":\"InvalidUtf8\"") != NULL && strstr(e, "\"code\":101") != NULL, "%s", e);
    free(e);
    const char *typo = "{\"armEndpiont\":\"https://x\"}";
    CHECK(fsi_session_new((const uint8_t *)typo, strlen(typo), &bad) == FSI_RESULT_INVALID_INPUT, "unknown option");
    e = last_error();
    CHECK(strstr(e, "armEndpiont") != NULL && strstr(e, "AzFileSync.InvalidInput") != NULL, "%s", e);
    free(e);
    printf("ok - bad session options rejected\n");

    /* explain: whatever the catalog answers today, the outcome is result JSON or error JSON. */
    char *out = NULL;
    fsi_result rc = run(s, "{\"operation\":\"explain\",\"code\":\"0x80c8305f\"}", &out);
    if (rc == FSI_RESULT_OK) {
        CHECK(out[0] == '{', "explain result is an object: %s", out);
    } else {
        CHECK(strstr(out, "\"code\":") != NULL && strstr(out, "\"message\":") != NULL, "error JSON: %s", out);
    }
    printf("ok - explain (%d): %.80s\n", rc, out);
    free(out);

    /* A bad request. */
    rc = run(s, "{\"operation\":\"noSuchOperation\"}", &out);
    CHECK(rc == FSI_RESULT_INVALID_INPUT, "bad request: %d", rc);
    CHECK(strstr(out, "noSuchOperation") != NULL && strstr(out, "\"errorId\":\"AzFileSync.InvalidInput\"") != NULL,
          "%s", out);
    free(out);
    e = last_error();
    CHECK(strstr(e, "\"kind\":\"AlreadyTaken\"") != NULL, "the second take set the last error: %s", e);
    free(e);
    printf("ok - bad request\n");

    /* NULL and invalid UTF-8 everywhere. */
    fsi_request *r = (fsi_request *)0x1;
    fsi_buffer *b = (fsi_buffer *)0x1;
    CHECK(fsi_request_start(NULL, (const uint8_t *)"{}", 2, &r) == FSI_RESULT_NULL_POINTER && r == NULL, "NULL session");
    CHECK(fsi_request_start(s, NULL, 0, &r) == FSI_RESULT_NULL_POINTER, "NULL request");
    CHECK(fsi_request_start(s, (const uint8_t *)"{}", 2, NULL) == FSI_RESULT_NULL_POINTER, "NULL out_request");
    CHECK(fsi_request_start(s, (const uint8_t *)bad_utf8, sizeof bad_utf8 - 1, &r) == FSI_RESULT_INVALID_UTF8, "UTF-8");
    CHECK(fsi_request_start(s, (const uint8_t *)"{\"op", 4, &r) == FSI_RESULT_INVALID_INPUT, "not JSON");
    CHECK(fsi_request_wait(NULL, 0) == FSI_RESULT_NULL_POINTER, "wait NULL");
    CHECK(fsi_request_cancel(NULL) == FSI_RESULT_NULL_POINTER, "cancel NULL");
    CHECK(fsi_request_take_result(NULL, &b) == FSI_RESULT_NULL_POINTER && b == NULL, "take NULL");
    CHECK(fsi_events_take(NULL, &b) == FSI_RESULT_NULL_POINTER, "events NULL");
    CHECK(fsi_last_error(NULL) == FSI_RESULT_NULL_POINTER, "last_error NULL");
    CHECK(fsi_buffer_data(NULL) == NULL && fsi_buffer_len(NULL) == 0, "buffer NULL");
    fsi_buffer_free(NULL);
    fsi_request_free(NULL);
    fsi_session_free(NULL);
    printf("ok - NULL and invalid UTF-8 rejected\n");

    /* Cancel from another thread while this one waits. */
    if (debug_hooks) {
        const char *slow = "{\"operation\":\"explain\",\"code\":\"0x80c8305f\",\"ffiTestDelayMs\":60000}";
        CHECK(fsi_request_start(s, (const uint8_t *)slow, strlen(slow), &r) == FSI_RESULT_OK, "start slow");
        CHECK(fsi_request_wait(r, 20) == FSI_RESULT_BUSY, "still running after 20 ms");
        CHECK(fsi_request_take_result(r, &b) == FSI_RESULT_BUSY && b == NULL, "no result yet");
        struct cancel_arg a = {r, 100, -1};
        pthread_t t;
        double t0 = now_s();
        pthread_create(&t, NULL, canceller, &a);
        CHECK(fsi_request_wait(r, 0xFFFFFFFFu) == FSI_RESULT_OK, "wait returns after cancel");
        double took = now_s() - t0;
        pthread_join(t, NULL);
        CHECK(a.rc == FSI_RESULT_OK, "cancel: %d", a.rc);
        CHECK(took < 5.0, "cancel was prompt: %.2f s", took);
        CHECK(fsi_request_take_result(r, &b) == FSI_RESULT_CANCELLED, "cancelled");
        out = take(b);
        CHECK(strstr(out, "\"kind\":\"Cancelled\"") != NULL, "%s", out);
        free(out);
        fsi_request_free(r);
        printf("ok - cancel from another thread (%.2f s)\n", took);

        /* Freeing a running request cancels it and does not block. */
        CHECK(fsi_request_start(s, (const uint8_t *)slow, strlen(slow), &r) == FSI_RESULT_OK, "start slow");
        t0 = now_s();
        fsi_request_free(r);
        CHECK(now_s() - t0 < 1.0, "free does not block");
        printf("ok - free while running\n");
    } else {
        printf("skip - cancel from another thread (the library is a release build without the delay hook)\n");
    }

    /* Several threads at once on one session. */
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, worker, s);
    for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    printf("ok - 4 threads x 10 requests\n");

    fsi_session_free(s);
    printf("%d checks passed\n", checks);
    return 0;
}
