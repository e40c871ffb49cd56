// Internal to gateway/image: libtiff over an in-memory buffer, for reading the TIFFs users
// send and writing the G4 TIFFs we store, without temporary files.
//
// MemoryTiff owns the TIFF* and collects libtiff's error messages for this handle only (via
// TIFFOpenOptions, so concurrent handles in other threads do not mix their messages and
// nothing is printed to stderr). Not thread-safe: one handle, one thread.
#pragma once

#include <tiffio.h>

#include <string>
#include <string_view>

namespace faxgate::gateway {

class MemoryTiff {
  public:
    // Opens `data` for reading. Throws ImageError("not a readable TIFF: ...") on failure.
    // `data` must outlive the MemoryTiff.
    static MemoryTiff openForReading(std::string_view data);
    // Opens an empty buffer for writing; buffer() holds the file after close().
    static MemoryTiff openForWriting();

    MemoryTiff(MemoryTiff&& other) noexcept;
    MemoryTiff(const MemoryTiff&) = delete;
    MemoryTiff& operator=(const MemoryTiff&) = delete;
    MemoryTiff& operator=(MemoryTiff&&) = delete;
    ~MemoryTiff();

    TIFF* handle() const { return tiff_; }
    // Flushes and closes the TIFF (writing the last directory). Idempotent.
    void close();
    // The bytes written (write mode), valid after close().
    std::string& buffer() { return state_->written; }
    // libtiff's last error message for this handle, or "" if none.
    const std::string& lastError() const { return state_->lastError; }

    // State the libtiff callbacks reach through their thandle_t; heap-allocated so its
    // address survives moves of the MemoryTiff.
    struct State {
        std::string_view readable;  // read mode
        std::string written;        // write mode
        bool writing = false;
        uint64_t position = 0;
        std::string lastError;
    };

  private:
    MemoryTiff(State* state, TIFF* tiff) : state_(state), tiff_(tiff) {}
    State* state_;
    TIFF* tiff_;
};

}  // namespace faxgate::gateway
