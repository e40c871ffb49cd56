// POST /node/v1/inbound over real loopback HTTP: node authentication, refusals of bad JSON,
// bad base64 and oversize bodies, one delivery per record ID, blocked callers, and the
// administrators as the route of last resort.
#include "gateway/api/inbound_api.h"

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "gateway/api/api_server.h"
#include "gateway/image/fax_tiff.h"

namespace faxgate::gateway {
namespace {

struct Answer {
    int status = 0;
    Poco::JSON::Object::Ptr body;
};

std::string smallTiff() {
    FaxPage page;
    page.heightPx = 50;
    page.bits.assign(static_cast<size_t>(page.heightPx) * kFaxRowBytes, 0);
    return writeFaxTiff({page});
}

std::string base64(const std::string& data) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << data;
    encoder.close();
    return out.str();
}

class InboundApiTest : public ::testing::Test {
  protected:
    void SetUp() override {
        path_ = std::filesystem::temp_directory_path() /
                ("inbound-api-test-" + std::to_string(::getpid()) + ".db");
        removeFiles();
        store_ = openSqliteStore(path_.string());
        for (const char* id : {"node-1", "node-2"}) {
            Node node;
            node.id = id;
            node.url = "http://127.0.0.1:9";
            node.secret = "right-secret";
            store_->upsertNode(node);
        }
        User alice;
        alice.id = "alice";
        alice.passwordHash = "x";
        store_->addUser(alice);
        User root = alice;
        root.id = "root";
        root.role = Role::Admin;
        store_->addUser(root);
        auto clock = [] { return Poco::Timestamp().epochMicroseconds() / 1000; };
        registry_ = std::make_unique<NodeRegistry>(*store_, NodeRegistryOptions{}, clock);
        scheduler_ = std::make_unique<Scheduler>(
            *store_, *registry_, SchedulerOptions{}, [](int64_t) {}, clock);
        InboundDeliveryOptions deliveryOptions;
        deliveryOptions.mail.templatesDir = std::string(FAXGATE_SOURCE_DIR) + "/templates";
        delivery_ = std::make_unique<InboundDelivery>(*store_, nullptr, deliveryOptions);
        ApiServerOptions options;
        options.port = 0;
        options.maxRequestBytes = 4096;
        options.maxInboundBytes = 16 * 1024;  // a small TIFF fits; more would fill loopback buffers
        server_ =
            std::make_unique<ApiServer>(options, *store_, *registry_, *scheduler_, delivery_.get());
        server_->start();
    }
    void TearDown() override {
        server_.reset();
        delivery_.reset();
        scheduler_.reset();
        registry_.reset();
        store_.reset();
        removeFiles();
    }
    void removeFiles() {
        for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
    }

    Answer call(const std::string& path, const std::string& body, const std::string& bearer = "") {
        Poco::Net::HTTPClientSession client("127.0.0.1", server_->port());
        Poco::Net::HTTPRequest request("POST", path, Poco::Net::HTTPMessage::HTTP_1_1);
        if (!bearer.empty()) request.set("Authorization", "Bearer " + bearer);
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        client.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::string text;
        Poco::StreamCopier::copyToString(client.receiveResponse(response), text);
        Answer answer;
        answer.status = response.getStatus();
        answer.body = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
        return answer;
    }

    std::string hello(const std::string& nodeId = "node-1") {
        Answer a = call("/node/v1/hello",
                        R"({"node_id":")" + nodeId +
                            R"(","secret":"right-secret","url":"http://127.0.0.1:9","lines":[]})");
        return a.status == 200 ? a.body->getValue<std::string>("session") : "";
    }

    static std::string inbound(const std::string& recordId, const std::string& tiffBase64,
                               const std::string& result = "ok",
                               const std::string& caller = "0398765432",
                               const std::string& nodeId = "node-1") {
        return R"({"record": {"record_id": ")" + recordId +
               R"(", "direction": "receive",)"
               R"( "node_id": ")" +
               nodeId +
               R"(", "line": "sim-1", "called_number": "0312345001",)"
               R"( "caller_number": ")" +
               caller +
               R"(", "remote_csid": "+81 3 9876 5432",)"
               R"( "pages": 1, "pages_total": 1, "duration_ms": 20000, "bit_rate": 14400,)"
               R"( "ecm": true, "result": ")" +
               result +
               R"(", "reason": "all pages received",)"
               R"( "started_ms": 1732512345678, "ended_ms": 1732512365678},)"
               R"( "tiff_base64": ")" +
               tiffBase64 + R"("})";
    }

    static std::vector<std::string> deliveredTo(const Answer& answer) {
        std::vector<std::string> users;
        auto array = answer.body->getArray("delivered_to");
        if (!array) return users;
        for (size_t i = 0; i < array->size(); ++i)
            users.push_back(array->getElement<std::string>(static_cast<unsigned>(i)));
        return users;
    }

    std::filesystem::path path_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<NodeRegistry> registry_;
    std::unique_ptr<Scheduler> scheduler_;
    std::unique_ptr<InboundDelivery> delivery_;
    std::unique_ptr<ApiServer> server_;
};

TEST_F(InboundApiTest, NeedsANodeSessionAndTheNodesOwnRecords) {
    const std::string body = inbound("rec-1", base64(smallTiff()));
    EXPECT_EQ(call("/node/v1/inbound", body).status, 401);
    EXPECT_EQ(call("/node/v1/inbound", body, "forged-token").status, 401);
    const std::string other = hello("node-2");
    ASSERT_FALSE(other.empty());
    EXPECT_EQ(call("/node/v1/inbound", body, other).status, 403);
    EXPECT_FALSE(store_->findRecord("rec-1"));
}

TEST_F(InboundApiTest, NoRouteDeliversToTheAdministratorsOnceEvenWhenPostedTwice) {
    const std::string session = hello();
    const std::string tiff = smallTiff();
    Answer first = call("/node/v1/inbound", inbound("rec-2", base64(tiff)), session);
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(deliveredTo(first), std::vector<std::string>{"root"});
    Answer second = call("/node/v1/inbound", inbound("rec-2", base64(tiff)), session);
    ASSERT_EQ(second.status, 200);
    EXPECT_EQ(deliveredTo(second), std::vector<std::string>{"root"});
    EXPECT_TRUE(second.body->optValue<bool>("duplicate", false));
    EXPECT_EQ(store_->listMailbox("root", "INBOX").size(), 1u);
    EXPECT_TRUE(store_->listMailbox("alice", "INBOX").empty());
    EXPECT_EQ(store_->findRecord("rec-2")->routedTo, "root");
}

TEST_F(InboundApiTest, BlockedCallerIsRecordedButNotDelivered) {
    RoutingRules rules;
    rules.defaultUsers = {"alice"};
    BlockEntry block;
    block.field = RouteField::Caller;
    block.match = RouteMatch::Prefix;
    block.value = "0398";
    rules.blocked = {block};
    store_->replaceRoutingRules(rules);
    Answer answer = call("/node/v1/inbound", inbound("rec-3", base64(smallTiff())), hello());
    ASSERT_EQ(answer.status, 200);
    EXPECT_TRUE(deliveredTo(answer).empty());
    EXPECT_EQ(store_->findRecord("rec-3")->routedTo, "blocked");
    EXPECT_TRUE(store_->listMailbox("alice", "INBOX").empty());
    // Another caller takes the default route.
    answer = call("/node/v1/inbound", inbound("rec-4", base64(smallTiff()), "ok", "0611112222"),
                  hello());
    EXPECT_EQ(deliveredTo(answer), std::vector<std::string>{"alice"});
}

TEST_F(InboundApiTest, RefusesBadJsonBadBase64AndNonTiff) {
    const std::string session = hello();
    EXPECT_EQ(call("/node/v1/inbound", "{not json", session).status, 400);
    EXPECT_EQ(call("/node/v1/inbound", R"({"tiff_base64": "AAAA"})", session).status, 400);
    Answer bad = call("/node/v1/inbound", inbound("rec-5", "!!notbase64!!"), session);
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body->getValue<std::string>("error").find("base64"), std::string::npos);
    EXPECT_EQ(
        call("/node/v1/inbound", inbound("rec-5", base64("plain text, no tiff")), session).status,
        400);
    EXPECT_EQ(call("/node/v1/inbound", inbound("rec-5", ""), session).status, 400);
    EXPECT_EQ(
        call("/node/v1/inbound", inbound("rec-5", base64(smallTiff()), "busy"), session).status,
        400);
    EXPECT_FALSE(store_->findRecord("rec-5"));
    // A failed reception needs no image and is kept.
    Answer failed = call("/node/v1/inbound", inbound("rec-6", "", "failed"), session);
    EXPECT_EQ(failed.status, 200);
    EXPECT_TRUE(deliveredTo(failed).empty());
    EXPECT_TRUE(store_->findRecord("rec-6"));
}

TEST_F(InboundApiTest, OversizeBodyIs413AndStoresNothing) {
    const std::string big(20 * 1024, 'A');
    EXPECT_EQ(call("/node/v1/inbound", inbound("rec-7", big), hello()).status, 413);
    EXPECT_FALSE(store_->findRecord("rec-7"));
}

TEST(InboundBase64Test, StrictDecoding) {
    std::string out;
    EXPECT_TRUE(decodeBase64Strict("aGVsbG8=", out));
    EXPECT_EQ(out, "hello");
    EXPECT_TRUE(decodeBase64Strict("aGVs\r\nbG8h", out));
    EXPECT_EQ(out, "hello!");
    EXPECT_FALSE(decodeBase64Strict("aGV*bG8=", out));
    EXPECT_FALSE(decodeBase64Strict("aGVsbG8=aa", out));
    EXPECT_FALSE(decodeBase64Strict("a", out));
    EXPECT_FALSE(decodeBase64Strict("aGVsbG8===", out));
    EXPECT_TRUE(looksLikeTiff(std::string("II*\0\x08\0\0\0", 8)));
    EXPECT_FALSE(looksLikeTiff("%PDF-1.4"));
}

}  // namespace
}  // namespace faxgate::gateway
