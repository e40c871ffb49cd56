// The admin API's priority table and its versions; see priority_api.h.
#include "gateway/api/priority_api.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "gateway/api/json_http.h"

namespace faxgate::gateway {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using namespace admin;

// The node IDs of the document's "order", checked against the nodes there are.
std::vector<std::string> namedNodes(const Object& document, const std::vector<Node>& nodes) {
    Array::Ptr order = document.getArray("order");
    if (!order) badRequest("order: missing, or not a list of node IDs");
    std::vector<std::string> named;
    std::set<std::string> seen;
    for (unsigned i = 0; i < order->size(); ++i) {
        const std::string path = "order[" + std::to_string(i) + "]";
        std::string id;
        if (order->get(i).isString()) {
            id = order->getElement<std::string>(i);
        } else if (Object::Ptr entry = order->getObject(i); entry && entry->get("id").isString()) {
            id = entry->getValue<std::string>("id");  // as GET shows it; "priority" is derived
        } else {
            badRequest(path + ": expected a node ID");
        }
        if (std::none_of(nodes.begin(), nodes.end(), [&](const Node& n) { return n.id == id; })) {
            badRequest(path + ": no node '" + forLog(id) + "'");
        }
        if (!seen.insert(id).second) badRequest(path + ": node '" + id + "' is named twice");
        named.push_back(id);
    }
    return named;
}

}  // namespace

PriorityApi::PriorityApi(const SettingsContext& context)
    : VersionedScopeApi(context,
                        {"the priority table", "priority.set", "priority.restore", {"order"}}) {}

bool PriorityApi::handles(const std::vector<std::string>& path) {
    return path.size() == 1 && path[0] == "priority";
}

Object PriorityApi::answer() {
    std::vector<Node> nodes = context_.store.listNodes();
    std::stable_sort(nodes.begin(), nodes.end(), [](const Node& a, const Node& b) {
        return a.priority != b.priority ? a.priority < b.priority : a.id < b.id;
    });
    Array order;
    for (const Node& node : nodes) {
        Object entry;
        entry.set("id", node.id);
        entry.set("priority", node.priority);
        order.add(entry);
    }
    Object answer;
    answer.set("version", latestVersion(context_.store, kPriorityScope));
    answer.set("order", order);
    return answer;
}

void PriorityApi::registerDocument(const AdminCall& call, const Object& document,
                                   std::optional<int64_t> baseVersion, const std::string& action,
                                   const Object& extraChanges) {
    Store& store = context_.store;
    std::lock_guard<std::mutex> lock(context_.registry.settings().nodeRowMutex());
    const std::vector<Node> nodes = store.listNodes();
    std::vector<std::string> full = namedNodes(document, nodes);
    const std::set<std::string> named(full.begin(), full.end());
    for (const std::string& id : priorityOrder(nodes)) {
        if (!named.count(id)) full.push_back(id);
    }
    Array fullOrder;
    for (const std::string& id : full) fullOrder.add(id);
    Object changes(extraChanges);
    changes.set("order", fullOrder);
    Object snapshot;
    snapshot.set("order", fullOrder);
    AuditEntry entry = call.audit(action, "nodes", changes);
    entry.snapshot = SettingsSnapshot{kPriorityScope, stringify(snapshot), baseVersion};
    store.setNodeOrder(full, entry);
}

}  // namespace faxgate::gateway
