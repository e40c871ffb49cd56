// fax-admin's command line without a network: argument parsing, settings precedence, table
// formatting and the exit codes, with a fake transport that records requests and answers
// canned replies.
#include "admin-tool/admin_cli.h"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <sstream>

namespace faxgate::admin {
namespace {

struct Sent {
    std::string method, path, body;
};

class FakeTransport : public Transport {
public:
    FakeTransport(std::vector<Sent>* sent, int status, std::string body, bool unreachable)
        : sent_(sent), status_(status), body_(std::move(body)), unreachable_(unreachable) {}
    Reply send(const std::string& method, const std::string& path,
               const std::string& body) override {
        if (unreachable_) throw ConnectError("connection refused");
        sent_->push_back({method, path, body});
        Reply reply;
        reply.status = status_;
        reply.body = Poco::JSON::Parser().parse(body_).extract<Poco::JSON::Object::Ptr>();
        return reply;
    }

private:
    std::vector<Sent>* sent_;
    int status_;
    std::string body_;
    bool unreachable_;
};

class AdminCliTest : public ::testing::Test {
protected:
    int run(std::vector<std::string> args, const std::string& stdinText = "") {
        out_.str("");
        err_.str("");
        in_.clear();
        in_.str(stdinText);
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
            return std::make_unique<FakeTransport>(&sent_, status_, reply_, unreachable_);
        };
        return runAdminCli(args, env);
    }

    std::map<std::string, std::string> vars_ = {{"FAXGATE_URL", "http://127.0.0.1:1"},
                                                {"FAXGATE_USER", "root"},
                                                {"FAXGATE_PASSWORD", "pw"}};
    int status_ = 200;
    std::string reply_ = "{}";
    bool unreachable_ = false;
    std::vector<Sent> sent_;
    Connection connection_;
    std::ostringstream out_, err_;
    std::istringstream in_;
};

TEST_F(AdminCliTest, UsersListPrintsATableOrJson) {
    reply_ = R"({"users":[{"id":"admin","role":"admin","email":"","default_node":"",)"
             R"("resolution":"fine","cover_page":true},{"id":"demo","role":"user",)"
             R"("email":"demo@example.com","default_node":"node-1","resolution":"normal",)"
             R"("cover_page":false}]})";
    ASSERT_EQ(run({"users", "list"}), kExitOk) << err_.str();
    EXPECT_EQ(out_.str(),
              "ID     ROLE   EMAIL             NODE    RESOLUTION  COVER\n"
              "admin  admin                            fine        yes\n"
              "demo   user   demo@example.com  node-1  normal      no\n");
    EXPECT_EQ(sent_.at(0).method, "GET");
    EXPECT_EQ(sent_.at(0).path, "/api/v1/users");
    EXPECT_EQ(connection_.user, "root");
    ASSERT_EQ(run({"--json", "users", "list"}), kExitOk);
    EXPECT_EQ(out_.str().substr(0, 8), "[{\"cover");
}

TEST_F(AdminCliTest, ExitCodesFollowTheGatewaysAnswer) {
    status_ = 403;
    reply_ = R"({"error":"user 'demo' is not an administrator"})";
    EXPECT_EQ(run({"users", "list"}), kExitAuth);
    EXPECT_NE(err_.str().find("not an administrator"), std::string::npos);
    status_ = 401;
    EXPECT_EQ(run({"jobs", "list"}), kExitAuth);
    status_ = 409;
    reply_ = R"({"error":"job 4 is already done"})";
    EXPECT_EQ(run({"jobs", "cancel", "4"}), kExitRefused);
    EXPECT_EQ(err_.str(), "fax-admin: job 4 is already done\n");
    unreachable_ = true;
    EXPECT_EQ(run({"audit"}), kExitConnect);
}

TEST_F(AdminCliTest, UsageErrorsExitTwo) {
    EXPECT_EQ(run({}), kExitUsage);
    EXPECT_EQ(run({"users"}), kExitUsage);
    EXPECT_EQ(run({"users", "fly"}), kExitUsage);
    EXPECT_EQ(run({"users", "show"}), kExitUsage);
    EXPECT_EQ(run({"jobs", "list", "--colour", "red"}), kExitUsage);
    EXPECT_EQ(run({"users", "list", "--owner", "x"}), kExitUsage) << "not an option of users";
    EXPECT_EQ(run({"records", "--since", "last tuesday"}), kExitUsage);
    EXPECT_EQ(run({"nodes", "add", "node-3", "--url", "http://x"}), kExitUsage);
    vars_.erase("FAXGATE_PASSWORD");
    EXPECT_EQ(run({"users", "list"}), kExitUsage) << "no password and no terminal";
    EXPECT_TRUE(sent_.empty());
    EXPECT_EQ(run({"--help"}), kExitOk);
    EXPECT_NE(out_.str().find("priority show"), std::string::npos);
    EXPECT_EQ(run({"jobs", "cancel", "--help"}), kExitOk);
    EXPECT_NE(out_.str().find("jobs cancel ID"), std::string::npos);
}

TEST_F(AdminCliTest, PasswordsComeFromStdinInOrder) {
    vars_.erase("FAXGATE_PASSWORD");
    status_ = 201;
    ASSERT_EQ(run({"--password-stdin", "users", "add", "bob", "--admin", "--no-cover", "--email",
                   "bob@example.com"},
                  "admin-pw\nbob-pw\n"),
              kExitOk)
        << err_.str();
    EXPECT_EQ(connection_.password, "admin-pw");
    auto body = Poco::JSON::Parser().parse(sent_.at(0).body).extract<Poco::JSON::Object::Ptr>();
    EXPECT_EQ(body->getValue<std::string>("password"), "bob-pw");
    EXPECT_EQ(body->getValue<std::string>("role"), "admin");
    EXPECT_FALSE(body->getValue<bool>("cover_page"));
    EXPECT_EQ(sent_.at(0).method, "POST");
}

TEST_F(AdminCliTest, FiltersBecomeQueryParameters) {
    reply_ = R"({"records":[]})";
    ASSERT_EQ(run({"records", "--node", "node-1", "--direction", "send", "--job", "7", "--since",
                   "1700000000000", "--limit", "5"}),
              kExitOk)
        << err_.str();
    EXPECT_EQ(sent_.at(0).path,
              "/api/v1/records?limit=5&node=node-1&direction=send&job=7&since_ms=1700000000000");
    reply_ = R"({"jobs":[]})";
    ASSERT_EQ(run({"jobs", "list", "--owner", "demo", "--active"}), kExitOk);
    EXPECT_EQ(sent_.at(1).path, "/api/v1/jobs?limit=100&owner=demo&active=1");
    ASSERT_EQ(run({"priority", "set", "node-2", "node-1"}), kExitOk);
    EXPECT_EQ(sent_.at(2).method, "PUT");
    EXPECT_EQ(sent_.at(2).body, R"({"order":["node-2","node-1"]})");
}

TEST(AdminCliFormatTest, DatesAndTables) {
    EXPECT_EQ(parseDateMs("1700000000000"), 1700000000000);
    auto day = parseDateMs("2024-05-01");
    auto later = parseDateMs("2024-05-01 13:45:10");
    ASSERT_TRUE(day && later);
    EXPECT_EQ(*later - *day, (13 * 3600 + 45 * 60 + 10) * 1000);
    EXPECT_EQ(parseDateMs("2024-05-01T13:45"), *day + (13 * 3600 + 45 * 60) * 1000);
    EXPECT_FALSE(parseDateMs("2024-13-01"));
    EXPECT_FALSE(parseDateMs("yesterday"));
    EXPECT_EQ(formatTimeMs(0), "-");
    EXPECT_EQ(formatTimeMs(*later), "2024-05-01 13:45:10");
    EXPECT_EQ(formatTable({"A", "LONGER"}, {{"xyz", "1"}}), "A    LONGER\nxyz  1\n");
}

}  // namespace
}  // namespace faxgate::admin
