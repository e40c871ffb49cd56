// Login slow-down and login tokens of the admin API; see admin_auth.h.
#include "gateway/api/admin_auth.h"

#include <Poco/RandomStream.h>

#include <algorithm>
#include <stdexcept>

namespace faxgate::gateway {

LoginThrottle::LoginThrottle(LoginThrottleOptions options) : options_(options) {}

void LoginThrottle::forgetOld(int64_t nowMs) {
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (it->second.waiting == 0 && nowMs - it->second.lastFailureMs > options_.forgetAfterMs) {
            it = entries_.erase(it);
        } else {
            ++it;
        }
    }
}

ThrottleDecision LoginThrottle::beginAttempt(const std::string& address, int64_t nowMs) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(address);
    if (it != entries_.end() && it->second.waiting == 0 &&
        nowMs - it->second.lastFailureMs > options_.forgetAfterMs) {
        entries_.erase(it);
        it = entries_.end();
    }
    if (it == entries_.end()) {
        // Untracked addresses are not delayed; they get an entry only when they fail.
        return {};
    }
    Entry& entry = it->second;
    const bool throttled = entry.failures >= options_.freeFailures;
    if (throttled && entry.waiting > 0) return {true, 0};
    entry.waiting += 1;
    return {false, std::max<int64_t>(0, entry.nextAllowedMs - nowMs)};
}

void LoginThrottle::finishAttempt(const std::string& address, bool success, int64_t nowMs) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(address);
    if (success) {
        if (it != entries_.end()) entries_.erase(it);
        return;
    }
    if (it == entries_.end()) {
        if (entries_.size() >= options_.maxTrackedAddresses) forgetOld(nowMs);
        if (entries_.size() >= options_.maxTrackedAddresses) {
            // Still full: drop the address that failed longest ago.
            auto oldest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
                return a.second.lastFailureMs < b.second.lastFailureMs;
            });
            entries_.erase(oldest);
        }
        it = entries_.emplace(address, Entry{}).first;
    } else if (it->second.waiting > 0) {
        it->second.waiting -= 1;
    }
    Entry& entry = it->second;
    entry.failures += 1;
    entry.lastFailureMs = nowMs;
    if (entry.failures >= options_.freeFailures) {
        const int doublings = std::min(entry.failures - options_.freeFailures, 30);
        const int64_t delayMs =
            std::min(options_.maxDelayMs, options_.firstDelayMs * (int64_t{1} << doublings));
        entry.nextAllowedMs = nowMs + delayMs;
    }
}

int LoginThrottle::failures(const std::string& address) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(address);
    return it == entries_.end() ? 0 : it->second.failures;
}

AdminTokens::AdminTokens(AdminTokensOptions options) : options_(options) {}

std::string AdminTokens::issue(const std::string& user, int64_t nowMs, int64_t* expiresMs) {
    unsigned char random[32];
    Poco::RandomInputStream source;
    source.read(reinterpret_cast<char*>(random), sizeof random);
    if (source.gcount() != static_cast<std::streamsize>(sizeof random)) {
        throw std::runtime_error("admin tokens: the random generator failed");
    }
    static const char kHex[] = "0123456789abcdef";
    std::string token;
    for (unsigned char byte : random) {
        token += kHex[byte >> 4];
        token += kHex[byte & 0x0f];
    }
    const int64_t expires = nowMs + options_.lifetimeMs;
    std::lock_guard lock(mutex_);
    for (auto it = grants_.begin(); it != grants_.end();) {
        it = it->second.expiresMs <= nowMs ? grants_.erase(it) : std::next(it);
    }
    if (grants_.size() >= options_.maxTokens) {
        auto oldest = std::min_element(grants_.begin(), grants_.end(), [](auto& a, auto& b) {
            return a.second.expiresMs < b.second.expiresMs;
        });
        grants_.erase(oldest);
    }
    grants_[token] = Grant{user, expires};
    if (expiresMs) *expiresMs = expires;
    return token;
}

std::optional<std::string> AdminTokens::userOf(const std::string& token, int64_t nowMs) {
    if (token.empty()) return std::nullopt;
    std::lock_guard lock(mutex_);
    auto it = grants_.find(token);
    if (it == grants_.end()) return std::nullopt;
    if (it->second.expiresMs <= nowMs) {
        grants_.erase(it);
        return std::nullopt;
    }
    return it->second.user;
}

}  // namespace faxgate::gateway
