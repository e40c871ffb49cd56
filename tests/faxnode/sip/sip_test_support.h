// Test support for the SIP agent tests: a listener that records every event and lets the
// test wait (bounded) until a condition on the record holds.
#pragma once

#include <Poco/ConsoleChannel.h>
#include <Poco/Logger.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "faxnode/sip/sip_agent.h"

namespace faxgate::node::sip::testing {

// FAXGATE_TEST_LOG=debug (or information, ...) prints the agent's and sofia's log lines.
inline const bool kLogConfigured = [] {
    if (const char* level = std::getenv("FAXGATE_TEST_LOG")) {
        Poco::Logger::root().setChannel(new Poco::ConsoleChannel);
        Poco::Logger::setLevel("", Poco::Logger::parseLevel(level));
    }
    return true;
}();

enum class EventType { kIncoming, kRinging, kEstablished, kMediaChanged, kEnded, kRegistration };

struct Event {
    EventType type;
    CallId call = 0;
    IncomingCall incoming;
    NegotiatedAudio audio;
    CallEnd end;
    RegistrationStatus registration;
};

class RecordingListener : public SipAgentListener {
  public:
    void onIncomingCall(CallId call, const IncomingCall& incoming) override {
        Event event{EventType::kIncoming, call, incoming, {}, {}, {}};
        add(event);
    }
    void onRinging(CallId call) override { add(Event{EventType::kRinging, call, {}, {}, {}, {}}); }
    void onEstablished(CallId call, const NegotiatedAudio& audio) override {
        add(Event{EventType::kEstablished, call, {}, audio, {}, {}});
    }
    void onMediaChanged(CallId call, const NegotiatedAudio& audio) override {
        add(Event{EventType::kMediaChanged, call, {}, audio, {}, {}});
    }
    void onCallEnded(CallId call, const CallEnd& end) override {
        add(Event{EventType::kEnded, call, {}, {}, end, {}});
    }
    void onRegistration(const RegistrationStatus& status) override {
        add(Event{EventType::kRegistration, 0, {}, {}, {}, status});
    }

    // Waits up to `timeoutMs` for the first event of `type` (for `call`, unless 0) and
    // returns it; nullopt on time-out.
    std::optional<Event> waitFor(EventType type, CallId call = 0, int timeoutMs = 10000) {
        return waitUntil(
            [&](const Event& e) { return e.type == type && (call == 0 || e.call == call); },
            timeoutMs);
    }

    std::optional<Event> waitUntil(const std::function<bool(const Event&)>& match,
                                   int timeoutMs = 10000) {
        std::unique_lock<std::mutex> lock(mutex_);
        std::optional<Event> found;
        changed_.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] {
            for (const auto& e : events_) {
                if (match(e)) {
                    found = e;
                    return true;
                }
            }
            return false;
        });
        return found;
    }

    // Waits (bounded) for `predicate` over the whole record.
    bool waitForRecord(const std::function<bool(const std::vector<Event>&)>& predicate,
                       int timeoutMs = 10000) {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                                 [&] { return predicate(events_); });
    }

    std::vector<Event> events() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return events_;
    }

    int count(EventType type, CallId call = 0) const {
        std::lock_guard<std::mutex> lock(mutex_);
        int n = 0;
        for (const auto& e : events_) {
            if (e.type == type && (call == 0 || e.call == call)) ++n;
        }
        return n;
    }

  private:
    void add(Event event) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            events_.push_back(std::move(event));
        }
        changed_.notify_all();
    }

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Event> events_;
};

}  // namespace faxgate::node::sip::testing
