// Authentication helpers of the admin API (admin_api.h): the slow-down of repeated bad
// passwords per client address, and the in-memory login tokens (POST /api/v1/login).
//
// Both take the time as an argument (milliseconds since the epoch) so that tests drive them
// with a fake clock. Neither knows HTTP: the admin API turns their answers into replies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace faxgate::gateway {

struct LoginThrottleOptions {
    int freeFailures = 3;         // failures from one address before attempts are delayed
    int64_t firstDelayMs = 1000;  // delay after freeFailures failures; doubles per failure
    int64_t maxDelayMs = 30000;   // the delay never grows beyond this
    int64_t forgetAfterMs = 15 * 60 * 1000;  // an address quiet this long starts afresh
    size_t maxTrackedAddresses = 10000;      // bounds memory under a spray of addresses
};

// What to do with a login attempt from one address.
struct ThrottleDecision {
    bool refuse = false;  // another attempt of this throttled address is waiting: 429 now
    int64_t waitMs = 0;   // wait this long before checking the password
};

// Repeated bad passwords from one client address are slowed down: after freeFailures failures
// each further attempt waits firstDelayMs, doubling per failure up to maxDelayMs; a success
// resets the address. While an address is throttled only one of its attempts may wait at a
// time (the others are refused at once), so a flood from one address holds one server thread,
// not all of them, and other clients are not delayed.
//
// Thread-safety: all methods may be called from any thread (one mutex).
class LoginThrottle {
  public:
    explicit LoginThrottle(LoginThrottleOptions options = {});

    // Call before checking a password; when not refused, call finishAttempt afterwards.
    ThrottleDecision beginAttempt(const std::string& address, int64_t nowMs);
    void finishAttempt(const std::string& address, bool success, int64_t nowMs);

    // Failures counted for the address (0 if unknown), for tests and logs.
    int failures(const std::string& address);

  private:
    struct Entry {
        int failures = 0;
        int64_t nextAllowedMs = 0;
        int64_t lastFailureMs = 0;
        int waiting = 0;  // attempts between beginAttempt and finishAttempt
    };
    void forgetOld(int64_t nowMs);

    const LoginThrottleOptions options_;
    std::mutex mutex_;
    std::map<std::string, Entry> entries_;  // REQUIRES: mutex_ held
};

struct AdminTokensOptions {
    int64_t lifetimeMs = 3600 * 1000;  // a token is valid this long after login
    size_t maxTokens = 10000;          // live tokens; beyond this the oldest is dropped
};

// Login tokens: random 256-bit values (hex) mapped to the user who logged in. In memory only:
// a gateway restart logs every administrator out, which is acceptable for a 1 h token.
// Thread-safety: all methods may be called from any thread (one mutex).
class AdminTokens {
  public:
    explicit AdminTokens(AdminTokensOptions options = {});

    // A new token for `user`, and its expiry time.
    std::string issue(const std::string& user, int64_t nowMs, int64_t* expiresMs);
    // The user of a valid, unexpired token.
    std::optional<std::string> userOf(const std::string& token, int64_t nowMs);

  private:
    struct Grant {
        std::string user;
        int64_t expiresMs = 0;
    };
    const AdminTokensOptions options_;
    std::mutex mutex_;
    std::map<std::string, Grant> grants_;  // REQUIRES: mutex_ held
};

}  // namespace faxgate::gateway
