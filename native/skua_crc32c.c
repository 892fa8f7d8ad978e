// CRC-32C (Castagnoli) with the SSE4.2 crc32 instruction, for record batch validation.
// Called through bun:ffi from src/native/crc32c.ts; JS keeps its table version as fallback.
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <nmmintrin.h>

__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *data, size_t length) {
  uint64_t c = ~crc;
  while (length > 0 && ((uintptr_t)data & 7) != 0) {
    c = _mm_crc32_u8((uint32_t)c, *data++);
    length--;
  }
  while (length >= 8) {
    uint64_t word;
    memcpy(&word, data, 8);
    c = _mm_crc32_u64(c, word);
    data += 8;
    length -= 8;
  }
  while (length-- > 0) c = _mm_crc32_u8((uint32_t)c, *data++);
  return ~(uint32_t)c;
}

// 1 when this CPU has the instruction; the caller uses the JS version otherwise.
int skua_crc32c_available(void) {
  return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

uint32_t skua_crc32c(uint32_t crc, const uint8_t *data, size_t length) {
  return crc32c_sse42(crc, data, length);
}
