// What fax-admin's tests share: the command line run without a terminal or a network
// (CliTest::run), through a transport that records every request and answers it from a table
// of canned replies by "METHOD path"; a request not in the table gets `fallback_` when set,
// else a 404 {"error"}. With `unreachable_` the transport cannot connect at all (exit 3).
//
// The environment has FAXGATE_URL, FAXGATE_USER=root, FAXGATE_PASSWORD=pw and a HOME without
// a config file; a test edits vars_ to change that.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "admin-tool/admin_cli.h"
#include "admin-tool/yaml_json.h"

namespace faxgate::admin::testing {

struct Sent {
    std::string method, path, body;
};

struct Canned {
    int status;
    std::string body;  // JSON: an object, or an array for the list answers
};

class ScriptedTransport : public Transport {
  public:
    ScriptedTransport(std::vector<Sent>* sent, const std::map<std::string, Canned>* answers,
                      const std::optional<Canned>* fallback, bool unreachable)
        : sent_(sent), answers_(answers), fallback_(fallback), unreachable_(unreachable) {}

    Reply send(const std::string& method, const std::string& path,
               const std::string& body) override {
        if (unreachable_) throw ConnectError("connection refused");
        sent_->push_back({method, path, body});
        Reply reply;
        reply.body = new Poco::JSON::Object;
        auto it = answers_->find(method + " " + path);
        const Canned* canned = it != answers_->end()    ? &it->second
                               : fallback_->has_value() ? &fallback_->value()
                                                        : nullptr;
        if (!canned) {
            reply.status = 404;
            reply.body->set("error", "no such resource: " + path);
            return reply;
        }
        reply.status = canned->status;
        Poco::Dynamic::Var parsed = parseJson(canned->body);
        if (parsed.type() == typeid(Poco::JSON::Array::Ptr)) {
            reply.list = parsed.extract<Poco::JSON::Array::Ptr>();
        } else {
            reply.body = parsed.extract<Poco::JSON::Object::Ptr>();
        }
        return reply;
    }

  private:
    std::vector<Sent>* sent_;
    const std::map<std::string, Canned>* answers_;
    const std::optional<Canned>* fallback_;
    bool unreachable_;
};

class CliTest : public ::testing::Test {
  protected:
    // Runs fax-admin; out_, err_ and sent_ then hold what this run printed and sent.
    int run(std::vector<std::string> args, const std::string& stdinText = "") {
        out_.str("");
        err_.str("");
        in_.clear();
        in_.str(stdinText);
        sent_.clear();
        CliEnvironment env;
        env.out = &out_;
        env.err = &err_;
        env.in = &in_;
        env.getenv = [this](const std::string& name) -> std::optional<std::string> {
            auto it = vars_.find(name);
            if (it == vars_.end()) return std::nullopt;
            return it->second;
        };
        env.connect = [this](const Connection& c) -> std::unique_ptr<Transport> {
            connection_ = c;
            return std::make_unique<ScriptedTransport>(&sent_, &answers_, &fallback_, unreachable_);
        };
        return runAdminCli(args, env);
    }

    // The JSON body of the i-th request of the last run.
    Poco::JSON::Object::Ptr sentBody(size_t i) {
        return parseJson(sent_.at(i).body).extract<Poco::JSON::Object::Ptr>();
    }

    std::map<std::string, std::string> vars_ = {{"FAXGATE_URL", "http://127.0.0.1:1"},
                                                {"FAXGATE_USER", "root"},
                                                {"FAXGATE_PASSWORD", "pw"},
                                                {"HOME", "/nonexistent"}};
    std::map<std::string, Canned> answers_;
    std::optional<Canned> fallback_;
    bool unreachable_ = false;
    std::vector<Sent> sent_;
    Connection connection_;
    std::ostringstream out_, err_;
    std::istringstream in_;
};

}  // namespace faxgate::admin::testing
