// Password hashing for gateway users (SMTP AUTH, IMAP LOGIN, the admin API).
//
// Passwords are stored only as PBKDF2-HMAC-SHA256 hashes with a random 16-byte salt, in the
// self-describing form
//     pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>
// so the iteration count can be raised later without invalidating stored hashes: verification
// reads the count from the string. The KDF is deliberately slow (kPbkdf2Iterations); callers
// that verify on a network thread should expect tens of milliseconds per call.
//
// Diagnostics: hashPassword throws std::invalid_argument for a password longer than
// kMaxPasswordBytes and std::runtime_error if the system random generator fails.
// verifyPassword never throws: a malformed or unsupported encoded string simply fails.
#pragma once

#include <cstddef>
#include <string>

namespace faxgate::gateway {

// Work factor for new hashes (OWASP's 2023 guidance for PBKDF2-HMAC-SHA256 is 600000; 100000
// keeps a login under ~50 ms on the small machines a fax gateway runs on).
inline constexpr int kPbkdf2Iterations = 100000;
// Stored hashes claiming more iterations than this are rejected, so a tampered or corrupt
// user row cannot make one login burn minutes of CPU.
inline constexpr int kMaxPbkdf2Iterations = 10000000;
inline constexpr std::size_t kPasswordSaltBytes = 16;
// Longer passwords are refused (hash) or fail (verify); no real password is this long and
// the limit bounds the work an unauthenticated client can cause.
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// Returns a new salted hash of `password` in the form described above.
std::string hashPassword(const std::string& password);

// True if `password` matches `encoded` (as made by hashPassword). Constant-time comparison.
bool verifyPassword(const std::string& password, const std::string& encoded);

}  // namespace faxgate::gateway
