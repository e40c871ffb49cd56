// A fake SmtpServices for the smtp tests: one user (alice / secret), records submissions.
#pragma once

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/smtp/smtp_services.h"

namespace faxgate::gateway {

class FakeSmtpServices : public SmtpServices {
  public:
    struct Submission {
        SmtpEnvelope envelope;
        std::string message;
    };

    bool authenticate(const std::string& user, const std::string& password) override {
        std::lock_guard<std::mutex> lock(mutex_);
        ++authenticateCalls_;
        return user == "alice" && password == "secret";
    }

    SmtpReply submit(const SmtpEnvelope& envelope, std::string message) override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (throwOnSubmit) throw std::runtime_error("store is down");
        submissions_.push_back({envelope, std::move(message)});
        if (refuseWith.code != 250) return refuseWith;
        return {250, "2.0.0", "Ok: queued as job " + std::to_string(submissions_.size())};
    }

    std::vector<Submission> submissions() {
        std::lock_guard<std::mutex> lock(mutex_);
        return submissions_;
    }
    int authenticateCalls() {
        std::lock_guard<std::mutex> lock(mutex_);
        return authenticateCalls_;
    }

    bool throwOnSubmit = false;
    SmtpReply refuseWith;  // code 250 = accept

  private:
    std::mutex mutex_;
    std::vector<Submission> submissions_;
    int authenticateCalls_ = 0;
};

}  // namespace faxgate::gateway
