// Routing of received faxes: every step of the order documented in routing_table.h.
#include "gateway/routing/routing_table.h"

#include <gtest/gtest.h>

namespace faxgate::gateway {
namespace {

RoutingRule rule(int64_t id, RouteField field, RouteMatch match, const std::string& value,
                 std::vector<std::string> users, int priority = 0) {
    RoutingRule r;
    r.id = id;
    r.field = field;
    r.match = match;
    r.value = value;
    r.users = std::move(users);
    r.priority = priority;
    return r;
}

const Reception kReception{"0312345001", "0398765432", "+81 3 9876 5432"};

TEST(RoutingTableTest, ExactBeatsPatternBeatsPrefix) {
    RoutingRules rules;
    rules.rules = {rule(1, RouteField::Called, RouteMatch::Prefix, "0312345001", {"prefix"}),
                   rule(2, RouteField::Called, RouteMatch::Pattern, "03123450??", {"pattern"}),
                   rule(3, RouteField::Called, RouteMatch::Exact, "0312345001", {"exact"})};
    auto decision = route(kReception, rules);
    EXPECT_EQ(decision.kind, RouteKind::Rule);
    EXPECT_EQ(decision.users, std::vector<std::string>{"exact"});
    EXPECT_EQ(decision.ruleId, 3);

    rules.rules.pop_back();
    EXPECT_EQ(route(kReception, rules).users, std::vector<std::string>{"pattern"});
    rules.rules.pop_back();
    EXPECT_EQ(route(kReception, rules).users, std::vector<std::string>{"prefix"});
}

TEST(RoutingTableTest, ExactOnCallerBeatsPrefixOnCalled) {
    RoutingRules rules;
    rules.rules = {rule(1, RouteField::Called, RouteMatch::Prefix, "03123", {"did"}),
                   rule(2, RouteField::Caller, RouteMatch::Exact, "0398765432", {"caller"})};
    EXPECT_EQ(route(kReception, rules).users, std::vector<std::string>{"caller"});
}

TEST(RoutingTableTest, LongerPrefixBeatsShorter) {
    RoutingRules rules;
    rules.rules = {rule(1, RouteField::Called, RouteMatch::Prefix, "03", {"short"}),
                   rule(2, RouteField::Called, RouteMatch::Prefix, "031234", {"long"}),
                   rule(3, RouteField::Called, RouteMatch::Prefix, "0312", {"middle"})};
    EXPECT_EQ(route(kReception, rules).users, std::vector<std::string>{"long"});
}

TEST(RoutingTableTest, PatternWithMoreLiteralsWins) {
    RoutingRules rules;
    rules.rules = {rule(1, RouteField::Called, RouteMatch::Pattern, "03*", {"loose"}),
                   rule(2, RouteField::Called, RouteMatch::Pattern, "031234500?", {"tight"})};
    EXPECT_EQ(route(kReception, rules).users, std::vector<std::string>{"tight"});
}

TEST(RoutingTableTest, CalledBeatsCallerBeatsCsidAtSameSpecificity) {
    RoutingRules rules;
    rules.rules = {rule(1, RouteField::Csid, RouteMatch::Exact, "+81 3 9876 5432", {"csid"}),
                   rule(2, RouteField::Caller, RouteMatch::Exact, "0398765432", {"caller"}),
                   rule(3, RouteField::Called, RouteMatch::Exact, "0312345001", {"did"})};
    EXPECT_EQ(route(kReception, rules).users, std::vector<std::string>{"did"});
    rules.rules.pop_back();
    EXPECT_EQ(route(kReception, rules).users, std::vector<std::string>{"caller"});
    rules.rules.pop_back();
    EXPECT_EQ(route(kReception, rules).users, std::vector<std::string>{"csid"});
}

TEST(RoutingTableTest, SamePrefixLengthPrefersCalledNumber) {
    RoutingRules rules;
    rules.rules = {rule(1, RouteField::Caller, RouteMatch::Prefix, "0398", {"caller"}),
                   rule(2, RouteField::Called, RouteMatch::Prefix, "0312", {"did"})};
    EXPECT_EQ(route(kReception, rules).users, std::vector<std::string>{"did"});
}

TEST(RoutingTableTest, PriorityThenIdBreakTies) {
    RoutingRules rules;
    rules.rules = {rule(7, RouteField::Called, RouteMatch::Exact, "0312345001", {"seven"}, 5),
                   rule(9, RouteField::Called, RouteMatch::Exact, "0312345001", {"nine"}, 1)};
    EXPECT_EQ(route(kReception, rules).users, std::vector<std::string>{"nine"});
    rules.rules[1].priority = 5;
    EXPECT_EQ(route(kReception, rules).users, std::vector<std::string>{"seven"});
}

TEST(RoutingTableTest, OneRuleMayNameSeveralUsersWithoutDuplicates) {
    RoutingRules rules;
    rules.rules = {
        rule(1, RouteField::Called, RouteMatch::Exact, "0312345001", {"alice", "bob", "alice"})};
    auto decision = route(kReception, rules);
    EXPECT_EQ(decision.users, (std::vector<std::string>{"alice", "bob"}));
    EXPECT_EQ(routedToText(decision), "alice,bob");
}

TEST(RoutingTableTest, NoMatchGoesToDefaultRoute) {
    RoutingRules rules;
    rules.rules = {rule(1, RouteField::Called, RouteMatch::Exact, "0312345999", {"other"})};
    rules.defaultUsers = {"reception", "backup"};
    auto decision = route(kReception, rules);
    EXPECT_EQ(decision.kind, RouteKind::Default);
    EXPECT_EQ(decision.users, (std::vector<std::string>{"reception", "backup"}));
}

TEST(RoutingTableTest, NoMatchAndNoDefaultGoesToAdministrators) {
    RoutingRules rules;
    auto decision = route(kReception, rules);
    EXPECT_EQ(decision.kind, RouteKind::Administrators);
    EXPECT_TRUE(decision.users.empty());
}

TEST(RoutingTableTest, BlockedCallerGoesToNobodyEvenWithAnExactRule) {
    RoutingRules rules;
    rules.rules = {rule(1, RouteField::Called, RouteMatch::Exact, "0312345001", {"alice"})};
    rules.defaultUsers = {"reception"};
    BlockEntry block;
    block.field = RouteField::Caller;
    block.match = RouteMatch::Prefix;
    block.value = "039876";
    rules.blocked = {block};
    auto decision = route(kReception, rules);
    EXPECT_EQ(decision.kind, RouteKind::Blocked);
    EXPECT_TRUE(decision.users.empty());
    EXPECT_EQ(routedToText(decision), "blocked");
}

TEST(RoutingTableTest, BlockedCsidExactAfterNormalisation) {
    RoutingRules rules;
    rules.defaultUsers = {"reception"};
    BlockEntry block;
    block.field = RouteField::Csid;
    block.match = RouteMatch::Exact;
    block.value = "+81-3-9876-5432";
    rules.blocked = {block};
    EXPECT_EQ(route(kReception, rules).kind, RouteKind::Blocked);
    // A different CSID is not blocked.
    Reception other = kReception;
    other.remoteCsid = "+81 3 9876 5433";
    EXPECT_EQ(route(other, rules).kind, RouteKind::Default);
}

TEST(RoutingTableTest, EmptyFieldsMatchNothing) {
    RoutingRules rules;
    rules.rules = {rule(1, RouteField::Caller, RouteMatch::Pattern, "*", {"anyone"})};
    BlockEntry block;
    block.field = RouteField::Csid;
    block.match = RouteMatch::Prefix;
    block.value = "+";
    rules.blocked = {block};
    Reception withheld{"0312345001", "", ""};
    EXPECT_EQ(route(withheld, rules).kind, RouteKind::Administrators);
}

TEST(RoutingTableTest, NormalisationIgnoresSeparatorsAndCase) {
    EXPECT_EQ(normaliseRouteValue(" 03-1234 (5001). "), "0312345001");
    EXPECT_EQ(normaliseRouteValue("Acme Corp"), "ACMECORP");
    RoutingRules rules;
    rules.rules = {rule(1, RouteField::Csid, RouteMatch::Exact, "acme corp", {"sales"})};
    Reception reception{"", "", "ACME CORP"};
    EXPECT_EQ(route(reception, rules).users, std::vector<std::string>{"sales"});
}

TEST(RoutingTableTest, PatternsMatchTheWholeValue) {
    EXPECT_TRUE(matchesPattern("03*01", "0312345001"));
    EXPECT_TRUE(matchesPattern("*", "X"));
    EXPECT_TRUE(matchesPattern("0?12*", "0312345001"));
    EXPECT_FALSE(matchesPattern("03*02", "0312345001"));
    EXPECT_FALSE(matchesPattern("0312", "0312345001"));
    EXPECT_FALSE(matchesPattern("0312345001?", "0312345001"));
    EXPECT_TRUE(matchesPattern("**1", "0312345001"));
}

}  // namespace
}  // namespace faxgate::gateway
