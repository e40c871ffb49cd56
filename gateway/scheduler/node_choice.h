// Which node gets a job: the owner's own node if one is assigned, else the priority table in
// order; of those, only nodes that are online and have a line free for sending. Pure
// functions, so the choice is tested without a network.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "gateway/store/types.h"

namespace faxgate::gateway {

// A node's state as its heartbeats tell it.
struct NodeStatus {
    bool online = false;
    int idleLines = 0;
    int totalLines = 0;
};

// Nodes to offer `job` to, best first. `priorityTable` is ordered (Store::listNodes). A node
// is usable when it is online and has more idle lines than it keeps free for receiving.
// With `ownerNode` set, only that node is considered: the per-user node table is a promise
// to the user (their own line, their own station ID), not a hint.
std::vector<Node> candidateNodes(const std::string& ownerNode,
                                 const std::vector<Node>& priorityTable,
                                 const std::map<std::string, NodeStatus>& statuses);

bool hasSendingLine(const Node& node, const NodeStatus& status);

}  // namespace faxgate::gateway
