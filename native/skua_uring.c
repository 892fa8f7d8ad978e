/*
 * skua_uring: a thin C shim over liburing for bun:ffi. liburing's io_uring_prep_* and
 * io_uring_cqe_seen are static inline in the header, so they cannot be called through
 * FFI; this file wraps them. One ring per shard; each function is called only from the
 * shard's own thread. Errors come back as negative errno values, never as exceptions.
 */
#include <errno.h>
#include <liburing.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct skua_ring {
  struct io_uring ring;
  /* Nonblocking; the shard's event loop polls it (src/native/uring.ts). */
  int event_fd;
};

/* Ring with `entries` SQEs and an eventfd the kernel signals on each completion.
 * Returns the ring, or NULL with *err_out = -errno. */
void *skua_ring_open(unsigned entries, int32_t *err_out) {
  struct skua_ring *r = calloc(1, sizeof *r);
  if (r == NULL) { *err_out = -ENOMEM; return NULL; }
  int rc = io_uring_queue_init(entries, &r->ring, 0);
  if (rc < 0) { free(r); *err_out = rc; return NULL; }
  /* Nonblocking: the shard's event loop reads it when epoll says it is readable. */
  r->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (r->event_fd < 0) { rc = -errno; io_uring_queue_exit(&r->ring); free(r); *err_out = rc; return NULL; }
  rc = io_uring_register_eventfd(&r->ring, r->event_fd);
  if (rc < 0) { close(r->event_fd); io_uring_queue_exit(&r->ring); free(r); *err_out = rc; return NULL; }
  *err_out = 0;
  return r;
}

int32_t skua_ring_event_fd(void *p) { return ((struct skua_ring *)p)->event_fd; }

void skua_ring_close(void *p) {
  struct skua_ring *r = p;
  io_uring_unregister_eventfd(&r->ring);
  io_uring_queue_exit(&r->ring);
  close(r->event_fd);
  free(r);
}

/* Queues one op without submitting. op: 0 read, 1 write, 2 fdatasync.
 * Returns 0, or -EBUSY when the submission queue is full (the caller submits and retries). */
int32_t skua_ring_prep(void *p, int32_t op, int32_t fd, void *buf, uint32_t len, uint64_t offset, uint64_t user_data) {
  struct skua_ring *r = p;
  struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
  if (sqe == NULL) return -EBUSY;
  switch (op) {
    case 0: io_uring_prep_read(sqe, fd, buf, len, offset); break;
    case 1: io_uring_prep_write(sqe, fd, buf, len, offset); break;
    case 2: io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC); break;
    default: io_uring_prep_nop(sqe); break;
  }
  io_uring_sqe_set_data64(sqe, user_data);
  return 0;
}

/* Queues a write and an fdatasync of the same file as a linked pair: the kernel starts the
 * fdatasync once the write completes, without a trip back to the caller (it completes with
 * -ECANCELED if the write failed or was short). Both or neither: returns 0, or -EBUSY when
 * the submission queue lacks two free entries (the caller submits and retries). */
int32_t skua_ring_prep_write_datasync(void *p, int32_t fd, void *buf, uint32_t len, uint64_t offset, uint64_t write_id, uint64_t sync_id) {
  struct skua_ring *r = p;
  if (io_uring_sq_space_left(&r->ring) < 2) return -EBUSY;
  struct io_uring_sqe *write_sqe = io_uring_get_sqe(&r->ring);
  io_uring_prep_write(write_sqe, fd, buf, len, offset);
  io_uring_sqe_set_flags(write_sqe, IOSQE_IO_LINK);
  io_uring_sqe_set_data64(write_sqe, write_id);
  struct io_uring_sqe *sync_sqe = io_uring_get_sqe(&r->ring);
  io_uring_prep_fsync(sync_sqe, fd, IORING_FSYNC_DATASYNC);
  io_uring_sqe_set_data64(sync_sqe, sync_id);
  return 0;
}

/* Submits everything queued; returns how many were submitted or -errno. */
int32_t skua_ring_submit(void *p) { return io_uring_submit(&((struct skua_ring *)p)->ring); }

/* Moves up to `max` completions into out as (user_data, result) pairs of int64 and marks
 * them seen. Never blocks. Returns how many it moved. */
int32_t skua_ring_reap(void *p, int64_t *out, uint32_t max) {
  struct skua_ring *r = p;
  struct io_uring_cqe *cqes[256];
  uint32_t want = max < 256 ? max : 256;
  unsigned n = io_uring_peek_batch_cqe(&r->ring, cqes, want);
  for (unsigned i = 0; i < n; i++) {
    out[2 * i] = (int64_t)cqes[i]->user_data;
    out[2 * i + 1] = cqes[i]->res;
  }
  io_uring_cq_advance(&r->ring, n);
  return (int32_t)n;
}
