// NodeRegistry's job hand-over against a fake node: a real Poco HTTP server on loopback that
// answers as a node would (202, 409, 401, 400) and records what it was sent.
#include "gateway/nodes/node_registry.h"

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <sstream>

namespace faxgate::gateway {
namespace {

struct Seen {
    std::mutex mutex;
    std::string method, path, authorization, body;
    int status = 202;
};

class FakeNodeHandler : public Poco::Net::HTTPRequestHandler {
  public:
    explicit FakeNodeHandler(Seen& seen) : seen_(seen) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        std::lock_guard lock(seen_.mutex);
        seen_.method = request.getMethod();
        seen_.path = request.getURI();
        seen_.authorization = request.get("Authorization", "");
        seen_.body.clear();
        Poco::StreamCopier::copyToString(request.stream(), seen_.body);
        response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(seen_.status));
        response.setContentType("application/json");
        response.send() << (seen_.status == 202 ? R"({"line":"sim-2"})" : R"({"error":"nope"})");
    }

  private:
    Seen& seen_;
};

class FakeNodeFactory : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    explicit FakeNodeFactory(Seen& seen) : seen_(seen) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
        return new FakeNodeHandler(seen_);
    }

  private:
    Seen& seen_;
};

class NodeRegistryTest : public ::testing::Test {
  protected:
    void SetUp() override {
        path_ = std::filesystem::temp_directory_path() /
                ("registry-test-" + std::to_string(::getpid()) + ".db");
        std::filesystem::remove(path_);
        store_ = openSqliteStore(path_.string());
        server_ = std::make_unique<Poco::Net::HTTPServer>(
            new FakeNodeFactory(seen_),
            Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)),
            new Poco::Net::HTTPServerParams);
        server_->start();
        node_.id = "node-1";
        node_.url = "http://127.0.0.1:" + std::to_string(server_->port());
        node_.secret = "s3cret";
        store_->upsertNode(node_);
        registry_ =
            std::make_unique<NodeRegistry>(*store_, NodeRegistryOptions{}, [this] { return now_; });
        HelloRequest hello;
        hello.nodeId = "node-1";
        hello.secret = "s3cret";
        hello.lines = {{"sim-1", "idle", 0}, {"sim-2", "idle", 0}};
        session_ = registry_->hello(hello).session;
    }
    void TearDown() override {
        server_->stopAll(true);
        registry_.reset();
        store_.reset();
        for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
    }

    Job job() {
        Job j;
        j.id = 42;
        j.number = "0312345678";
        j.pagesTotal = 2;
        return j;
    }

    std::filesystem::path path_;
    std::unique_ptr<Store> store_;
    Seen seen_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    Node node_;
    std::unique_ptr<NodeRegistry> registry_;
    std::string session_;
    int64_t now_ = 1'000'000;
};

TEST_F(NodeRegistryTest, AcceptedJobCarriesTheDocumentAndTheSession) {
    const std::string tiff("II*\0binary\xff\x00 data", 17);
    DispatchOutcome outcome = registry_->dispatch(node_, job(), 3, tiff);
    EXPECT_EQ(outcome.result, DispatchResult::Accepted);
    EXPECT_EQ(outcome.line, "sim-2");
    std::lock_guard lock(seen_.mutex);
    EXPECT_EQ(seen_.method, "PUT");
    EXPECT_EQ(seen_.path, "/v1/jobs/42");
    EXPECT_EQ(seen_.authorization, "Bearer " + session_);
    auto body = Poco::JSON::Parser().parse(seen_.body).extract<Poco::JSON::Object::Ptr>();
    EXPECT_EQ(body->getValue<int>("attempt"), 3);
    EXPECT_EQ(body->getValue<std::string>("number"), "0312345678");
    std::istringstream encoded(body->getValue<std::string>("tiff_base64"));
    Poco::Base64Decoder decoder(encoded);
    std::string decoded((std::istreambuf_iterator<char>(decoder)),
                        std::istreambuf_iterator<char>());
    EXPECT_EQ(decoded, tiff);
    // The line counts as busy until the node's heartbeat says otherwise.
    EXPECT_EQ(registry_->nodeStatuses()["node-1"].idleLines, 1);
}

TEST_F(NodeRegistryTest, NodeAnswersMapToDispatchResults) {
    seen_.status = 409;
    EXPECT_EQ(registry_->dispatch(node_, job(), 1, "x").result, DispatchResult::Busy);
    seen_.status = 400;
    DispatchOutcome refused = registry_->dispatch(node_, job(), 1, "x");
    EXPECT_EQ(refused.result, DispatchResult::Refused);
    EXPECT_EQ(refused.reason, "nope");
    seen_.status = 503;
    EXPECT_EQ(registry_->dispatch(node_, job(), 1, "x").result, DispatchResult::Unreachable);
    seen_.status = 401;  // the node restarted and forgot us: it must say hello again
    EXPECT_EQ(registry_->dispatch(node_, job(), 1, "x").result, DispatchResult::Unreachable);
    EXPECT_TRUE(registry_->nodeStatuses().empty());
    EXPECT_FALSE(registry_->nodeOfSession(session_));
}

TEST_F(NodeRegistryTest, UnreachableNodeIsOfflineUntilItSaysHelloAgain) {
    // A port nobody listens on: take a free one and close it again.
    uint16_t closedPort = 0;
    {
        Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
        closedPort = probe.address().port();
    }
    node_.url = "http://127.0.0.1:" + std::to_string(closedPort);
    store_->upsertNode(node_);
    HelloRequest hello;
    hello.nodeId = "node-1";
    hello.secret = "s3cret";
    hello.lines = {{"sim-1", "idle", 0}};
    registry_->hello(hello);
    EXPECT_EQ(registry_->dispatch(node_, job(), 1, "x").result, DispatchResult::Unreachable);
    EXPECT_FALSE(registry_->nodeStatuses()["node-1"].online);
}

TEST_F(NodeRegistryTest, SilentNodeGoesOfflineAfterThreeHeartbeats) {
    EXPECT_TRUE(registry_->nodeStatuses()["node-1"].online);
    now_ += 3 * NodeRegistryOptions{}.heartbeatIntervalMs + 1;
    EXPECT_FALSE(registry_->nodeStatuses()["node-1"].online);
    EXPECT_TRUE(registry_->heartbeat(session_, {{"sim-1", "idle", 0}}));
    EXPECT_TRUE(registry_->nodeStatuses()["node-1"].online);
}

}  // namespace
}  // namespace faxgate::gateway
