// libtiff client procedures over a memory buffer (see tiff_memory.h).
#include "gateway/image/tiff_memory.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>

#include "gateway/image/fax_page.h"

namespace faxgate::gateway {
namespace {

using State = MemoryTiff::State;

// libtiff never needs more than this in one allocation for a fax page or a 100 MB image;
// the cap stops a crafted header from making it allocate gigabytes.
constexpr tmsize_t kMaxSingleAllocationBytes = 256 * 1024 * 1024;

tmsize_t readProc(thandle_t h, void* buf, tmsize_t size) {
    auto* s = static_cast<State*>(h);
    uint64_t available = s->writing ? s->written.size() : s->readable.size();
    if (size <= 0 || s->position >= available) return 0;
    uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(size), available - s->position);
    const char* src = s->writing ? s->written.data() : s->readable.data();
    std::memcpy(buf, src + s->position, n);
    s->position += n;
    return static_cast<tmsize_t>(n);
}

tmsize_t writeProc(thandle_t h, void* buf, tmsize_t size) {
    auto* s = static_cast<State*>(h);
    if (!s->writing || size < 0) return -1;
    uint64_t end = s->position + static_cast<uint64_t>(size);
    if (end > s->written.size()) s->written.resize(end);
    std::memcpy(s->written.data() + s->position, buf, static_cast<size_t>(size));
    s->position = end;
    return size;
}

toff_t seekProc(thandle_t h, toff_t offset, int whence) {
    auto* s = static_cast<State*>(h);
    uint64_t size = s->writing ? s->written.size() : s->readable.size();
    int64_t base = 0;
    if (whence == SEEK_CUR) base = static_cast<int64_t>(s->position);
    if (whence == SEEK_END) base = static_cast<int64_t>(size);
    int64_t target = base + static_cast<int64_t>(offset);
    if (target < 0) return static_cast<toff_t>(-1);
    // Seeking past the end is legal while writing (libtiff then writes there); reading
    // past the end simply returns 0 bytes.
    s->position = static_cast<uint64_t>(target);
    return s->position;
}

int closeProc(thandle_t) { return 0; }

toff_t sizeProc(thandle_t h) {
    auto* s = static_cast<State*>(h);
    return s->writing ? s->written.size() : s->readable.size();
}

int mapProc(thandle_t, void**, toff_t*) { return 0; }  // no mapping: libtiff reads instead
void unmapProc(thandle_t, void*, toff_t) {}

int errorHandler(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
    auto* s = static_cast<State*>(user);
    char text[512];
    std::vsnprintf(text, sizeof text, fmt, ap);
    s->lastError = (module && *module) ? std::string(module) + ": " + text : std::string(text);
    return 1;  // handled: do not call the process-wide handler (it prints to stderr)
}

int warningHandler(TIFF*, void*, const char*, const char*, va_list) {
    return 1;  // unknown tags and the like: not worth a log line per page
}

TIFF* openClient(State* state, const char* mode) {
    TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
    TIFFOpenOptionsSetMaxSingleMemAlloc(options, kMaxSingleAllocationBytes);
    TIFFOpenOptionsSetErrorHandlerExtR(options, errorHandler, state);
    TIFFOpenOptionsSetWarningHandlerExtR(options, warningHandler, state);
    TIFF* tiff = TIFFClientOpenExt("memory", mode, state, readProc, writeProc, seekProc, closeProc,
                                   sizeProc, mapProc, unmapProc, options);
    TIFFOpenOptionsFree(options);
    return tiff;
}

}  // namespace

MemoryTiff MemoryTiff::openForReading(std::string_view data) {
    auto state = std::make_unique<State>();
    state->readable = data;
    // "m": no memory mapping; "r": read.
    TIFF* tiff = openClient(state.get(), "rm");
    if (!tiff) {
        std::string reason = state->lastError.empty() ? "bad header" : state->lastError;
        throw ImageError("not a readable TIFF: " + reason);
    }
    return MemoryTiff(state.release(), tiff);
}

MemoryTiff MemoryTiff::openForWriting() {
    auto state = std::make_unique<State>();
    state->writing = true;
    // "w": create, "l": little-endian (what most fax software writes).
    TIFF* tiff = openClient(state.get(), "wl");
    if (!tiff) throw ImageError("cannot create a TIFF in memory: " + state->lastError);
    return MemoryTiff(state.release(), tiff);
}

MemoryTiff::MemoryTiff(MemoryTiff&& other) noexcept : state_(other.state_), tiff_(other.tiff_) {
    other.state_ = nullptr;
    other.tiff_ = nullptr;
}

void MemoryTiff::close() {
    if (tiff_) {
        TIFFClose(tiff_);
        tiff_ = nullptr;
    }
}

MemoryTiff::~MemoryTiff() {
    close();
    delete state_;
}

}  // namespace faxgate::gateway
