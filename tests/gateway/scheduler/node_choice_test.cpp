#include "gateway/scheduler/node_choice.h"

#include <gtest/gtest.h>

namespace faxgate::gateway {
namespace {

std::vector<Node> table() {
    Node a{"tokyo-1", "", "", 1, 0, {}, ""};
    Node b{"tokyo-2", "", "", 2, 1, {}, ""};  // keeps one line for receiving
    Node c{"osaka-1", "", "", 3, 0, {}, ""};
    return {a, b, c};
}

std::vector<std::string> ids(const std::vector<Node>& nodes) {
    std::vector<std::string> result;
    for (const Node& n : nodes) result.push_back(n.id);
    return result;
}

TEST(NodeChoice, PriorityOrderOfFreeNodes) {
    std::map<std::string, NodeStatus> statuses = {
        {"tokyo-1", {true, 1, 1}}, {"tokyo-2", {true, 2, 2}}, {"osaka-1", {true, 1, 1}}};
    EXPECT_EQ(ids(candidateNodes("", table(), statuses)),
              (std::vector<std::string>{"tokyo-1", "tokyo-2", "osaka-1"}));
}

TEST(NodeChoice, BusyOfflineAndUnknownNodesAreSkipped) {
    std::map<std::string, NodeStatus> statuses = {{"tokyo-1", {true, 0, 1}},   // busy
                                                  {"tokyo-2", {false, 2, 2}},  // offline
                                                  {"osaka-1", {true, 1, 1}}};
    EXPECT_EQ(ids(candidateNodes("", table(), statuses)), (std::vector<std::string>{"osaka-1"}));
    EXPECT_TRUE(candidateNodes("", table(), {}).empty());
}

TEST(NodeChoice, LinesKeptForReceivingAreNotUsed) {
    std::map<std::string, NodeStatus> statuses = {{"tokyo-2", {true, 1, 2}}};
    EXPECT_TRUE(candidateNodes("", table(), statuses).empty());
    statuses["tokyo-2"].idleLines = 2;
    EXPECT_EQ(ids(candidateNodes("", table(), statuses)), (std::vector<std::string>{"tokyo-2"}));
}

TEST(NodeChoice, AUsersOwnNodeIsTheOnlyCandidate) {
    std::map<std::string, NodeStatus> statuses = {
        {"tokyo-1", {true, 1, 1}}, {"tokyo-2", {true, 2, 2}}, {"osaka-1", {true, 1, 1}}};
    EXPECT_EQ(ids(candidateNodes("osaka-1", table(), statuses)),
              (std::vector<std::string>{"osaka-1"}));
    statuses["osaka-1"].idleLines = 0;
    EXPECT_TRUE(candidateNodes("osaka-1", table(), statuses).empty());
}

}  // namespace
}  // namespace faxgate::gateway
