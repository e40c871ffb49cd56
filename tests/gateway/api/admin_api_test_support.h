// What the tests of the gateway's HTTP API share: one request over real loopback HTTP and its
// JSON answer (callApi, ApiAnswer), HTTP Basic credentials, and ApiServerTest: a gateway in a
// temporary directory (TempStoreTest's SQLite store) with the users and nodes a test adds, a
// node registry, a scheduler and the ApiServer on port 0 of 127.0.0.1.
//
// Users added by addUser() have the password "<id>-pw"; call() logs in as "root" unless told
// otherwise, so a fixture adds an administrator "root".
#pragma once

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timestamp.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>

#include "gateway/api/api_server.h"
#include "gateway/store/password_hash.h"
#include "tests/gateway/store/store_fixture.h"

namespace faxgate::gateway::testing {

struct ApiAnswer {
    int status = 0;
    Poco::JSON::Object::Ptr body;
    std::string wwwAuthenticate;  // the WWW-Authenticate header, "" if none
    std::string error() const { return body->optValue<std::string>("error", ""); }
    int64_t version() const { return body->optValue<int64_t>("version", -1); }
};

inline std::string basicAuthorization(const std::string& user, const std::string& password) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder << user << ':' << password;
    encoder.close();
    return "Basic " + out.str();
}

inline Poco::JSON::Object::Ptr parseJsonObject(const std::string& json) {
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

inline std::string jsonText(const Poco::JSON::Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

// One request to the API at 127.0.0.1:`port`, with the Authorization header `authorization`
// ("" for none). Every answer of the API is a JSON object; a test fails if one is not.
inline ApiAnswer callApi(uint16_t port, const std::string& method, const std::string& path,
                         const std::string& body, const std::string& authorization) {
    Poco::Net::HTTPClientSession client("127.0.0.1", port);
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!authorization.empty()) request.set("Authorization", authorization);
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    client.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::string text;
    Poco::StreamCopier::copyToString(client.receiveResponse(response), text);
    ApiAnswer answer;
    answer.status = response.getStatus();
    answer.wwwAuthenticate = response.get("WWW-Authenticate", "");
    EXPECT_EQ(response.getContentType(), "application/json") << method << " " << path;
    answer.body = parseJsonObject(text);
    return answer;
}

class ApiServerTest : public TempStoreTest {
  protected:
    void TearDown() override {
        server_.reset();
        scheduler_.reset();
        registry_.reset();
        TempStoreTest::TearDown();
    }

    // A user whose password is "<id>-pw".
    void addUser(const std::string& id, Role role) {
        User user;
        user.id = id;
        user.role = role;
        user.passwordHash = hashPassword(id + "-pw");
        store_->addUser(user);
    }
    void addNode(const std::string& id, const std::string& url, const std::string& secret,
                 int priority = Node{}.priority) {
        Node node;
        node.id = id;
        node.url = url;
        node.secret = secret;
        node.priority = priority;
        store_->upsertNode(node);
    }

    // The registry, the scheduler and the API on the store as the test has filled it; the
    // API listens on a free port (options.port is ignored).
    void startApi(NodeRegistryOptions registryOptions = {}, ApiServerOptions options = {}) {
        auto clock = [] { return Poco::Timestamp().epochMicroseconds() / 1000; };
        registry_ = std::make_unique<NodeRegistry>(*store_, registryOptions, clock);
        scheduler_ = std::make_unique<Scheduler>(
            *store_, *registry_, SchedulerOptions{}, [](int64_t) {}, clock);
        options.port = 0;
        server_ = std::make_unique<ApiServer>(options, *store_, *registry_, *scheduler_);
        server_->start();
    }

    ApiAnswer call(const std::string& method, const std::string& path, const std::string& body = "",
                   const std::string& authorization = basicAuthorization("root", "root-pw")) {
        return callApi(server_->port(), method, path, body, authorization);
    }

    std::unique_ptr<NodeRegistry> registry_;
    std::unique_ptr<Scheduler> scheduler_;
    std::unique_ptr<ApiServer> server_;
};

}  // namespace faxgate::gateway::testing
