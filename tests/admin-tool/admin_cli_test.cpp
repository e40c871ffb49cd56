// fax-admin's command line without a network: argument parsing, settings precedence, table
// formatting and the exit codes, with a fake transport that records requests and answers
// canned replies.
#include "admin-tool/admin_cli.h"

#include <gtest/gtest.h>

#include "tests/admin-tool/admin_cli_test_support.h"

namespace faxgate::admin {
namespace {

// Every request gets one canned reply, 200 {} unless a test says otherwise.
class AdminCliTest : public testing::CliTest {
  protected:
    AdminCliTest() { fallback_ = testing::Canned{200, "{}"}; }

    // A usage error: exit 2, and nothing sent to the gateway.
    void expectUsage(std::vector<std::string> args, const std::string& why = "") {
        EXPECT_EQ(run(args), kExitUsage) << why;
        EXPECT_TRUE(sent_.empty()) << why;
    }
};

TEST_F(AdminCliTest, UsersListPrintsATableOrJson) {
    fallback_->body = R"({"users":[{"id":"admin","role":"admin","email":"","default_node":"",)"
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
    // The gateway's JSON as it came, in its key order (as the real transport keeps it).
    EXPECT_EQ(out_.str().substr(0, 14), R"([{"id":"admin")");
}

TEST_F(AdminCliTest, ExitCodesFollowTheGatewaysAnswer) {
    fallback_->status = 403;
    fallback_->body = R"({"error":"user 'demo' is not an administrator"})";
    EXPECT_EQ(run({"users", "list"}), kExitAuth);
    EXPECT_NE(err_.str().find("not an administrator"), std::string::npos);
    fallback_->status = 401;
    EXPECT_EQ(run({"jobs", "list"}), kExitAuth);
    fallback_->status = 409;
    fallback_->body = R"({"error":"job 4 is already done"})";
    EXPECT_EQ(run({"jobs", "cancel", "4"}), kExitRefused);
    EXPECT_EQ(err_.str(), "fax-admin: job 4 is already done\n");
    unreachable_ = true;
    EXPECT_EQ(run({"audit"}), kExitConnect);
}

TEST_F(AdminCliTest, UsageErrorsExitTwo) {
    expectUsage({});
    expectUsage({"users"});
    expectUsage({"users", "fly"});
    expectUsage({"users", "show"});
    expectUsage({"jobs", "list", "--colour", "red"});
    expectUsage({"users", "list", "--owner", "x"}, "not an option of users");
    expectUsage({"records", "--since", "last tuesday"});
    expectUsage({"nodes", "add", "node-3", "--url", "http://x"});
    vars_.erase("FAXGATE_PASSWORD");
    expectUsage({"users", "list"}, "no password and no terminal");
    EXPECT_EQ(run({"--help"}), kExitOk);
    EXPECT_NE(out_.str().find("priority show"), std::string::npos);
    EXPECT_EQ(run({"jobs", "cancel", "--help"}), kExitOk);
    EXPECT_NE(out_.str().find("jobs cancel ID"), std::string::npos);
}

TEST_F(AdminCliTest, PasswordsComeFromStdinInOrder) {
    vars_.erase("FAXGATE_PASSWORD");
    fallback_->status = 201;
    ASSERT_EQ(run({"--password-stdin", "users", "add", "bob", "--admin", "--no-cover", "--email",
                   "bob@example.com"},
                  "admin-pw\nbob-pw\n"),
              kExitOk)
        << err_.str();
    EXPECT_EQ(connection_.password, "admin-pw");
    auto body = sentBody(0);
    EXPECT_EQ(body->getValue<std::string>("password"), "bob-pw");
    EXPECT_EQ(body->getValue<std::string>("role"), "admin");
    EXPECT_FALSE(body->getValue<bool>("cover_page"));
    EXPECT_EQ(sent_.at(0).method, "POST");
}

TEST_F(AdminCliTest, FiltersBecomeQueryParameters) {
    fallback_->body = R"({"records":[]})";
    ASSERT_EQ(run({"records", "--node", "node-1", "--direction", "send", "--job", "7", "--since",
                   "1700000000000", "--limit", "5"}),
              kExitOk)
        << err_.str();
    EXPECT_EQ(sent_.at(0).path,
              "/api/v1/records?limit=5&node=node-1&direction=send&job=7&since_ms=1700000000000");
    // --user stays the administrator who logs in; --for-user is whose records.
    ASSERT_EQ(run({"records", "--for-user", "demo user", "--direction", "receive"}), kExitOk)
        << err_.str();
    EXPECT_EQ(sent_.at(0).path, "/api/v1/records?limit=100&user=demo%20user&direction=receive");
    EXPECT_EQ(connection_.user, "root");
    fallback_->body = R"({"jobs":[]})";
    ASSERT_EQ(run({"jobs", "list", "--owner", "demo", "--active"}), kExitOk);
    EXPECT_EQ(sent_.at(0).path, "/api/v1/jobs?limit=100&owner=demo&active=1");
    ASSERT_EQ(run({"priority", "set", "node-2", "node-1"}), kExitOk);
    EXPECT_EQ(sent_.at(0).method, "PUT");
    EXPECT_EQ(sent_.at(0).body, R"({"order":["node-2","node-1"]})");
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
