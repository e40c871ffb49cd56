// Node choice for a job; see node_choice.h.
#include "gateway/scheduler/node_choice.h"

namespace faxgate::gateway {

bool hasSendingLine(const Node& node, const NodeStatus& status) {
    return status.online && status.idleLines > node.keepLinesForReceive;
}

std::vector<Node> candidateNodes(const std::string& ownerNode,
                                 const std::vector<Node>& priorityTable,
                                 const std::map<std::string, NodeStatus>& statuses) {
    std::vector<Node> result;
    for (const Node& node : priorityTable) {
        if (!ownerNode.empty() && node.id != ownerNode) continue;
        auto status = statuses.find(node.id);
        if (status != statuses.end() && hasSendingLine(node, status->second)) {
            result.push_back(node);
        }
    }
    return result;
}

}  // namespace faxgate::gateway
