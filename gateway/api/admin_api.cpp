// The admin API's routes, validation and JSON; see admin_api.h.
//
// Layout: JSON conversions of the data model, then AdminApi: authentication, routing to the
// resources in their own files (users, node settings, the versioned settings and their
// history), and the resources kept here: nodes, jobs, records, the audit log.
#include "gateway/api/admin_api.h"

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Thread.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <set>
#include <sstream>

#include "gateway/api/admin_request.h"
#include "gateway/api/gateway_settings_api.h"
#include "gateway/api/json_http.h"
#include "gateway/api/node_settings_api.h"
#include "gateway/api/priority_api.h"
#include "gateway/api/routing_api.h"
#include "gateway/api/settings_history_api.h"
#include "gateway/api/user_nodes_api.h"
#include "gateway/api/users_api.h"
#include "gateway/store/password_hash.h"

namespace faxgate::gateway {

namespace {

Poco::Logger& logger() { return Poco::Logger::get("admin"); }

using Poco::JSON::Array;
using Poco::JSON::Object;

using namespace admin;

// ---- JSON of the data model ---------------------------------------------------------------

Object nodeJson(const Node& node, const std::optional<NodeSession>& session, bool online) {
    Object o;
    o.set("id", node.id);
    o.set("url", node.url);
    o.set("priority", node.priority);
    o.set("keep_free", node.keepLinesForReceive);
    o.set("kill_time_ms", node.retry.killTimeMs);
    o.set("max_dials", node.retry.maxDials);
    o.set("max_connected_tries", node.retry.maxConnectedTries);
    o.set("busy_retry_ms", node.retry.busyRetryMs);
    o.set("failure_retry_ms", node.retry.failureRetryMs);
    o.set("online", online);
    Array lines;
    if (session) {
        for (const LineState& line : session->lines) {
            Object l;
            l.set("id", line.id);
            l.set("state", line.state);
            l.set("job_id", line.jobId);
            lines.add(l);
        }
    }
    o.set("lines", lines);
    o.set("last_heartbeat_ms", session ? session->lastHeartbeatMs : int64_t{0});
    o.set("software", session ? session->software : std::string());
    return o;
}

Object jobJson(const Job& job) {
    Object o;
    o.set("id", job.id);
    o.set("submission_id", job.submissionId);
    o.set("owner", job.owner);
    o.set("number", job.number);
    o.set("state", toString(job.state));
    o.set("priority", job.priority);
    o.set("dials", job.dials);
    o.set("connected_tries", job.connectedTries);
    o.set("pages_total", job.pagesTotal);
    o.set("pages_sent", job.pagesSent);
    o.set("created_ms", job.createdMs);
    o.set("not_before_ms", job.notBeforeMs);
    o.set("kill_at_ms", job.killAtMs);
    o.set("node", job.node);
    o.set("line", job.line);
    o.set("last_result", job.lastResult);
    o.set("last_reason", job.lastReason);
    o.set("updated_ms", job.updatedMs);
    return o;
}

Object attemptJson(const Attempt& attempt) {
    Object o;
    o.set("number", attempt.number);
    o.set("node", attempt.nodeId);
    o.set("line", attempt.line);
    o.set("dispatched_ms", attempt.dispatchedMs);
    o.set("ended_ms", attempt.endedMs);
    o.set("result", attempt.result);
    o.set("reason", attempt.reason);
    o.set("pages", attempt.pages);
    o.set("record_id", attempt.recordId);
    return o;
}

Object recordJson(const CommunicationRecord& r) {
    Object o;
    o.set("record_id", r.recordId);
    o.set("direction", r.direction);
    o.set("job_id", r.jobId);
    o.set("attempt", r.attempt);
    o.set("node", r.nodeId);
    o.set("line", r.line);
    o.set("number", r.number);
    o.set("remote_csid", r.remoteCsid);
    o.set("pages", r.pages);
    o.set("pages_total", r.pagesTotal);
    o.set("duration_ms", r.durationMs);
    o.set("bit_rate", r.bitRate);
    o.set("ecm", r.ecm);
    o.set("result", r.result);
    o.set("reason", r.reason);
    o.set("started_ms", r.startedMs);
    o.set("ended_ms", r.endedMs);
    return o;
}

Object auditJson(const AuditEntry& entry) {
    Object o;
    o.set("id", entry.id);
    o.set("time_ms", entry.timeMs);
    o.set("admin", entry.adminUser);
    o.set("client", entry.clientAddress);
    o.set("action", entry.action);
    o.set("target", entry.target);
    try {
        o.set("changes", Poco::JSON::Parser().parse(entry.changes));
    } catch (const Poco::Exception&) {
        o.set("changes", entry.changes);  // written by an older build: show it as it is
    }
    return o;
}

}  // namespace

// ---- AdminApi -------------------------------------------------------------------------------

struct AdminApi::Caller {
    std::string user;
    std::string address;
};

AdminApi::AdminApi(AdminApiOptions options, Store& store, NodeRegistry& registry,
                   Scheduler& scheduler, Clock clock, Sleeper sleeper)
    : options_(options),
      store_(store),
      registry_(registry),
      scheduler_(scheduler),
      clock_(clock ? std::move(clock)
                   : Clock([] { return Poco::Timestamp().epochMicroseconds() / 1000; })),
      sleeper_(sleeper ? std::move(sleeper)
                       : Sleeper([](int64_t ms) { Poco::Thread::sleep(static_cast<long>(ms)); })),
      throttle_(options_.throttle),
      tokens_(options_.tokens) {}

bool AdminApi::checkPassword(const std::string& user, const std::string& password,
                             const std::string& address) {
    const ThrottleDecision decision = throttle_.beginAttempt(address, clock_());
    if (decision.refuse) {
        logger().warning("admin login for '%s' from %s refused: a delayed attempt is pending",
                         forLog(user), address);
        throw HttpError(429, "too many failed logins from this address; try again later");
    }
    if (decision.waitMs > 0) sleeper_(decision.waitMs);
    std::optional<User> found;
    if (!user.empty() && user.size() <= kMaxIdBytes) found = store_.findUser(user);
    const bool ok = found && verifyPassword(password, found->passwordHash);
    throttle_.finishAttempt(address, ok, clock_());
    if (!ok) {
        logger().warning("failed admin login for '%s' from %s (%d failures in a row)", forLog(user),
                         address, throttle_.failures(address));
    }
    return ok;
}

AdminApi::Caller AdminApi::authenticate(Poco::Net::HTTPServerRequest& request,
                                        Poco::Net::HTTPServerResponse& response) {
    Caller caller;
    caller.address = request.clientAddress().host().toString();
    auto unauthorized = [&](const std::string& message) -> HttpError {
        response.set("WWW-Authenticate", "Basic realm=\"faxgate\"");
        return HttpError(401, message);
    };
    const std::string header = request.get("Authorization", "");
    if (header.rfind("Bearer ", 0) == 0) {
        auto user = tokens_.userOf(header.substr(7), clock_());
        if (!user) throw unauthorized("the token is unknown or has expired; log in again");
        caller.user = *user;
    } else if (header.rfind("Basic ", 0) == 0) {
        std::string decoded;
        try {
            std::istringstream encoded(header.substr(6));
            Poco::Base64Decoder decoder(encoded);
            char buffer[512];
            while (decoder.read(buffer, sizeof buffer) || decoder.gcount() > 0) {
                decoded.append(buffer, static_cast<size_t>(decoder.gcount()));
                if (decoded.size() > kMaxIdBytes + kMaxPasswordBytes + 1) break;
            }
        } catch (const Poco::Exception&) {
            throw unauthorized("malformed Basic credentials");
        }
        const size_t colon = decoded.find(':');
        if (colon == std::string::npos) throw unauthorized("malformed Basic credentials");
        caller.user = decoded.substr(0, colon);
        if (!checkPassword(caller.user, decoded.substr(colon + 1), caller.address)) {
            throw unauthorized("wrong user ID or password");
        }
    } else {
        throw unauthorized("authentication required: HTTP Basic or a Bearer token from login");
    }
    std::optional<User> user = store_.findUser(caller.user);
    if (!user) throw unauthorized("user '" + forLog(caller.user) + "' no longer exists");
    if (user->role != Role::Admin) {
        throw HttpError(403, "user '" + caller.user + "' is not an administrator");
    }
    return caller;
}

void AdminApi::handle(Poco::Net::HTTPServerRequest& request,
                      Poco::Net::HTTPServerResponse& response) {
    const std::string uri = request.getURI();
    const std::vector<std::string> all = splitPath(uri.substr(0, uri.find('?')));
    // all[0] == "api", all[1] == "v1"
    const std::vector<std::string> path(all.begin() + std::min<size_t>(2, all.size()), all.end());
    const std::string& method = request.getMethod();
    const std::string resource = path.empty() ? "" : path[0];
    const int64_t now = clock_();

    auto body = [&] { return readJsonObject(request, options_.maxRequestBytes); };
    auto listLimit = [&](const Query& query) {
        return static_cast<int>(
            queryInt(query, "limit", 1, options_.maxListLimit, options_.defaultListLimit));
    };

    if (resource == "login" && path.size() == 1) {
        if (method != "POST") methodNotAllowed("POST");
        auto credentials = body();
        rejectUnknownFields(*credentials, {"user", "password"});
        const std::string user = requireString(*credentials, "user");
        const std::string address = request.clientAddress().host().toString();
        if (!checkPassword(user, requireString(*credentials, "password"), address)) {
            response.set("WWW-Authenticate", "Basic realm=\"faxgate\"");
            throw HttpError(401, "wrong user ID or password");
        }
        std::optional<User> found = store_.findUser(user);
        if (!found || found->role != Role::Admin) {
            throw HttpError(403, "user '" + user + "' is not an administrator");
        }
        int64_t expiresMs = 0;
        Object answer;
        answer.set("token", tokens_.issue(user, now, &expiresMs));
        answer.set("expires_ms", expiresMs);
        logger().information("admin %s logged in from %s", user, address);
        sendJson(response, 200, answer);
        return;
    }

    const Caller caller = authenticate(request, response);
    const AdminCall call{request,     response,       path, method,
                         caller.user, caller.address, now,  options_.maxRequestBytes};
    auto audit = [&](const std::string& action, const std::string& target, const Object& changes) {
        return call.audit(action, target, changes);
    };

    // ---- node settings (node_settings_api.h) ----
    if (NodeSettingsApi::handles(path)) {
        NodeSettingsApi(store_, registry_).handle(call);
        return;
    }

    // ---- users and the versioned settings (settings_scope.h and the scopes' files) ----
    const SettingsContext settings{store_, registry_, settingsLocks_, options_.gatewaySettings};
    if (UsersApi::handles(path)) {
        UsersApi(settings).handle(call);
        return;
    }
    if (PriorityApi::handles(path)) {
        PriorityApi(settings).handle(call);
        return;
    }
    if (UserNodesApi::handles(path)) {
        UserNodesApi(settings).handle(call);
        return;
    }
    if (RoutingApi::handles(path)) {
        RoutingApi(settings).handle(call);
        return;
    }
    if (GatewaySettingsApi::handles(path)) {
        GatewaySettingsApi(settings).handle(call);
        return;
    }
    if (SettingsHistoryApi::handles(path)) {
        SettingsHistoryApi(settings, options_.defaultListLimit, options_.maxListLimit).handle(call);
        return;
    }

    // ---- nodes ----
    auto nodeAnswer = [&](const Node& node) {
        std::optional<NodeSession> session;
        for (NodeSession& s : registry_.sessions()) {
            if (s.nodeId == node.id) session = std::move(s);
        }
        auto statuses = registry_.nodeStatuses();
        auto it = statuses.find(node.id);
        Object answer = nodeJson(node, session, it != statuses.end() && it->second.online);
        answer.set("settings", NodeSettingsApi(store_, registry_).driftJson(node.id));
        return answer;
    };
    // Applies the writable node fields present in `in` to `node`, noting each in `changes`.
    auto applyNodeFields = [&](const Object& in, Node& node, Object& changes) {
        if (in.has("url")) {
            node.url = requireString(in, "url");
            checkUrl(node.url);
            changes.set("url", node.url);
        }
        if (in.has("secret")) {
            node.secret = requireString(in, "secret");
            checkSecret(node.secret);
            changes.set("secret", kMasked);
        }
        auto setInt = [&](const char* field, int64_t min, int64_t max, auto& target) {
            if (!in.has(field)) return;
            target = static_cast<std::remove_reference_t<decltype(target)>>(
                intInRange(in, field, min, max));
            changes.set(field, static_cast<int64_t>(target));
        };
        constexpr int64_t kDayMs = 24 * 3600 * 1000;
        setInt("priority", 0, 1000000, node.priority);
        setInt("keep_free", 0, 1000, node.keepLinesForReceive);
        setInt("kill_time_ms", 60 * 1000, 30 * kDayMs, node.retry.killTimeMs);
        setInt("max_dials", 1, 1000, node.retry.maxDials);
        setInt("max_connected_tries", 1, 1000, node.retry.maxConnectedTries);
        setInt("busy_retry_ms", 100, kDayMs, node.retry.busyRetryMs);
        setInt("failure_retry_ms", 100, kDayMs, node.retry.failureRetryMs);
    };
    const std::set<std::string> nodeFields = {"url",
                                              "secret",
                                              "priority",
                                              "keep_free",
                                              "kill_time_ms",
                                              "max_dials",
                                              "max_connected_tries",
                                              "busy_retry_ms",
                                              "failure_retry_ms"};

    if (resource == "nodes") {
        if (path.size() == 1 && method == "GET") {
            queryOf(request, {});
            Array nodes;
            for (const Node& node : store_.listNodes()) nodes.add(nodeAnswer(node));
            Object answer;
            answer.set("nodes", nodes);
            sendJson(response, 200, answer);
            return;
        }
        if (path.size() == 1 && method == "POST") {
            auto in = body();
            std::set<std::string> known = nodeFields;
            known.insert("id");
            rejectUnknownFields(*in, known);
            Node node;
            node.id = requireString(*in, "id");
            checkId("id", node.id);
            requireString(*in, "url");
            requireString(*in, "secret");
            {
                // The node rows and the priority version change together (priority_api.h).
                std::lock_guard<std::mutex> rowLock(registry_.settings().nodeRowMutex());
                // A new node goes to the end of the priority table unless told otherwise.
                std::vector<Node> nodes = store_.listNodes();
                int lastPriority = 0;
                for (const Node& other : nodes) {
                    lastPriority = std::max(lastPriority, other.priority);
                }
                node.priority = std::min(lastPriority + 10, 1000000);
                Object changes;
                applyNodeFields(*in, node, changes);
                if (store_.findNode(node.id)) throw HttpError(409, "node '" + node.id + "' exists");
                Object logged = nodeJson(node, std::nullopt, false);
                for (const char* runtime :
                     {"id", "online", "lines", "last_heartbeat_ms", "software"}) {
                    logged.remove(runtime);
                }
                logged.set("secret", kMasked);
                AuditEntry entry = audit("node.add", node.id, logged);
                nodes.push_back(node);
                entry.snapshot = SettingsSnapshot{kPriorityScope, priorityDocument(nodes), {}};
                store_.addNodeAudited(node, entry);
            }
            sendJson(response, 201, nodeAnswer(node));
            return;
        }
        if (path.size() == 2) {
            std::optional<Node> node = store_.findNode(path[1]);
            if (!node) throw HttpError(404, "no such node: " + forLog(path[1]));
            if (method == "GET") {
                sendJson(response, 200, nodeAnswer(*node));
                return;
            }
            if (method != "PATCH") methodNotAllowed("GET or PATCH");
            auto in = body();
            rejectUnknownFields(*in, nodeFields);
            NodeSettingsApi nodeSettings(store_, registry_);
            std::optional<NodeSettingsApi::Registered> newSecretVersion;
            {
                std::lock_guard<std::mutex> rowLock(registry_.settings().nodeRowMutex());
                node = store_.findNode(path[1]);  // again, under the lock
                if (!node) throw HttpError(404, "no such node: " + forLog(path[1]));
                const Node before = *node;
                Object changes;
                applyNodeFields(*in, *node, changes);
                if (changes.size() > 0) {
                    AuditEntry entry = audit("node.change", node->id, changes);
                    if (node->priority != before.priority) {
                        // A new place in the priority table: a new version of it.
                        std::vector<Node> nodes = store_.listNodes();
                        for (Node& other : nodes) {
                            if (other.id == node->id) other = *node;
                        }
                        entry.snapshot =
                            SettingsSnapshot{kPriorityScope, priorityDocument(nodes), {}};
                    }
                    try {
                        // A new secret also registers a node settings version that carries it.
                        newSecretVersion = nodeSettings.storeNodeChange(before, *node, entry);
                    } catch (const SettingsConflict& e) {
                        sendConflict(call, "node " + node->id + "'s settings", e.latestVersion());
                        return;
                    }
                }
            }
            if (newSecretVersion) nodeSettings.push(*newSecretVersion);
            sendJson(response, 200, nodeAnswer(*node));
            return;
        }
    }

    // ---- jobs ----
    if (resource == "jobs") {
        if (path.size() == 1) {
            if (method != "GET") methodNotAllowed("GET");
            const Query query = queryOf(request, {"owner", "state", "active", "limit"});
            JobFilter filter;
            if (query.count("owner")) filter.owner = query.at("owner");
            if (query.count("state")) {
                filter.state = jobStateFromString(query.at("state"));
                if (!filter.state) {
                    badRequest(
                        "query parameter 'state' must be one of converting, queued, "
                        "retry_wait, dispatched, done, failed, cancelled");
                }
            }
            if (query.count("active")) {
                const std::string& active = query.at("active");
                if (active != "1" && active != "0" && active != "true" && active != "false") {
                    badRequest("query parameter 'active' must be 1 or 0");
                }
                filter.activeOnly = active == "1" || active == "true";
            }
            filter.limit = listLimit(query);
            Array jobs;
            for (const Job& job : store_.listJobs(filter)) jobs.add(jobJson(job));
            Object answer;
            answer.set("jobs", jobs);
            sendJson(response, 200, answer);
            return;
        }
        const int64_t jobId = pathId(path[1], "job");
        std::optional<Job> job = store_.findJob(jobId);
        if (!job) throw HttpError(404, "no such job: " + std::to_string(jobId));
        if (path.size() == 2) {
            if (method != "GET") methodNotAllowed("GET");
            Object answer = jobJson(*job);
            Array attempts;
            for (const Attempt& attempt : store_.attemptsOf(jobId))
                attempts.add(attemptJson(attempt));
            answer.set("attempts", attempts);
            if (auto submission = store_.findSubmission(job->submissionId)) {
                answer.set("subject", submission->subject);
            }
            sendJson(response, 200, answer);
            return;
        }
        if (path.size() == 3 && path[2] == "cancel") {
            if (method != "POST") methodNotAllowed("POST");
            if (isFinal(job->state)) {
                throw HttpError(
                    409, "job " + std::to_string(jobId) + " is already " + toString(job->state));
            }
            if (job->state == JobState::Converting) {
                throw HttpError(409, "job " + std::to_string(jobId) +
                                         " is still being converted; try again in a moment");
            }
            const bool dispatched = job->state == JobState::Dispatched;
            if (!scheduler_.cancelJob(jobId)) {
                if (dispatched) {
                    throw HttpError(502,
                                    "node '" + job->node + "' did not take the cancel request");
                }
                throw HttpError(409, "job " + std::to_string(jobId) + " changed state; look again");
            }
            Object changes;
            changes.set("state_before", toString(job->state));
            store_.addAuditEntry(audit("job.cancel", std::to_string(jobId), changes));
            Object answer = jobJson(store_.findJob(jobId).value_or(*job));
            // A call in progress ends when the node reports it; until then the job is
            // still dispatched.
            answer.set("cancel", dispatched ? "requested" : "done");
            sendJson(response, 200, answer);
            return;
        }
        if (path.size() == 3 && path[2] == "retry") {
            if (method != "POST") methodNotAllowed("POST");
            if (job->state != JobState::Failed && job->state != JobState::Cancelled) {
                throw HttpError(409, "only failed or cancelled jobs can be retried; job " +
                                         std::to_string(jobId) + " is " + toString(job->state));
            }
            if (!scheduler_.retryJob(jobId)) {
                throw HttpError(409, "job " + std::to_string(jobId) +
                                         " cannot be retried: its document was never made");
            }
            Object changes;
            changes.set("state_before", toString(job->state));
            store_.addAuditEntry(audit("job.retry", std::to_string(jobId), changes));
            sendJson(response, 200, jobJson(store_.findJob(jobId).value_or(*job)));
            return;
        }
    }

    // ---- records and the audit log ----
    if (resource == "records" && path.size() == 1) {
        if (method != "GET") methodNotAllowed("GET");
        const Query query = queryOf(request, {"node", "user", "number", "direction", "job",
                                              "since_ms", "until_ms", "limit"});
        RecordFilter filter;
        if (query.count("node")) filter.nodeId = query.at("node");
        if (query.count("user")) filter.user = query.at("user");
        if (query.count("number")) filter.number = query.at("number");
        if (query.count("direction")) {
            filter.direction = query.at("direction");
            if (*filter.direction != "send" && *filter.direction != "receive") {
                badRequest("query parameter 'direction' must be 'send' or 'receive'");
            }
        }
        constexpr int64_t kMaxMs = int64_t{1} << 52;
        if (query.count("job")) filter.jobId = queryInt(query, "job", 1, kMaxMs, 0);
        if (query.count("since_ms")) filter.sinceMs = queryInt(query, "since_ms", 0, kMaxMs, 0);
        if (query.count("until_ms")) filter.untilMs = queryInt(query, "until_ms", 0, kMaxMs, 0);
        filter.limit = listLimit(query);
        Array records;
        for (const CommunicationRecord& record : store_.findRecords(filter)) {
            records.add(recordJson(record));
        }
        Object answer;
        answer.set("records", records);
        sendJson(response, 200, answer);
        return;
    }

    if (resource == "audit" && path.size() == 1) {
        if (method != "GET") methodNotAllowed("GET");
        const Query query = queryOf(request, {"limit"});
        Array entries;
        for (const AuditEntry& entry : store_.listAuditEntries(listLimit(query))) {
            entries.add(auditJson(entry));
        }
        Object answer;
        answer.set("entries", entries);
        sendJson(response, 200, answer);
        return;
    }

    throw HttpError(404, "no such resource: " + uri.substr(0, uri.find('?')).substr(0, 200));
}

}  // namespace faxgate::gateway
