// SqliteStore, routing part (see store.h, "Routing and receptions"): the routing table of
// received faxes (rules, default route, block list) and the one transaction that files a
// received fax: its record with the routing decision, the mailbox messages and the outbox
// copies, all or nothing, so a node that re-posts after a crash never causes a second delivery
// and a committed record never lacks its messages.
//
// Kept apart from sqlite_store.cpp like sqlite_store_admin.cpp; the transaction helper, checks,
// the record row and the record, mailbox and outbox statements it shares with the other parts
// are in sqlite_store_internal.h. The tables are created by the version-1 migration in
// sqlite_store.cpp.
//
// Diagnostics: StoreError("store: <operation>: <what>"), as in the rest of the store.
#include <Poco/Tuple.h>

#include <set>

#include "gateway/store/sqlite_store.h"
#include "gateway/store/sqlite_store_internal.h"

namespace faxgate::gateway {
namespace {

using namespace Poco::Data::Keywords;
using Poco::Int64;

using sqlite_internal::checkId;
using sqlite_internal::checkOutboxMail;
using sqlite_internal::fail;
using sqlite_internal::insertMailboxMessage;
using sqlite_internal::insertOutboxMail;
using sqlite_internal::insertRecord;
using sqlite_internal::kRecordColumns;
using sqlite_internal::RecordRow;
using sqlite_internal::toRecord;

// The limits (kMaxRoutingEntries...) are in types.h, shared with the admin API.

bool hasControlCharacters(const std::string& text) {
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f) return true;
    }
    return false;
}

void checkUsers(const char* operation, const std::string& what,
                const std::vector<std::string>& users, bool mayBeEmpty) {
    if (users.empty() && !mayBeEmpty) fail(operation, what + " names no user");
    if (users.size() > kMaxUsersPerRoute) {
        fail(operation, what + " names more than " + std::to_string(kMaxUsersPerRoute) + " users");
    }
    for (const std::string& user : users) {
        checkId(operation, "user ID", user);
        // One user per line in the table, and "," separates users in records.routed_to.
        if (user.find_first_of("\r\n,") != std::string::npos || hasControlCharacters(user)) {
            fail(operation, what + ": user ID '" + user + "' contains a comma or a control byte");
        }
    }
}

void checkValue(const char* operation, const std::string& what, const std::string& value,
                const std::string& notes) {
    if (value.empty()) fail(operation, what + " has an empty value");
    if (value.size() > kMaxRouteValueBytes || hasControlCharacters(value)) {
        fail(operation, what + ": value longer than " + std::to_string(kMaxRouteValueBytes) +
                            " bytes or with control characters");
    }
    if (notes.size() > kMaxRouteNotesBytes) {
        fail(operation,
             what + ": notes longer than " + std::to_string(kMaxRouteNotesBytes) + " bytes");
    }
}

void checkRules(const char* operation, const RoutingRules& rules) {
    if (rules.rules.size() + rules.blocked.size() > kMaxRoutingEntries) {
        fail(operation, "more than " + std::to_string(kMaxRoutingEntries) + " rules and blocks");
    }
    std::set<int64_t> ids;
    for (std::size_t i = 0; i < rules.rules.size(); ++i) {
        const RoutingRule& rule = rules.rules[i];
        const std::string what = "rule " + std::to_string(i + 1);
        checkValue(operation, what, rule.value, rule.notes);
        checkUsers(operation, what, rule.users, false);
        if (rule.id < 0 || (rule.id > 0 && !ids.insert(rule.id).second)) {
            fail(operation,
                 what + ": rule ID " + std::to_string(rule.id) + " is negative or taken");
        }
    }
    checkUsers(operation, "the default route", rules.defaultUsers, true);
    for (std::size_t i = 0; i < rules.blocked.size(); ++i) {
        const BlockEntry& block = rules.blocked[i];
        const std::string what = "block entry " + std::to_string(i + 1);
        checkValue(operation, what, block.value, block.notes);
        if (block.field == RouteField::Called) {
            fail(operation, what + " blocks a called number; only caller and csid can be blocked");
        }
        if (block.match == RouteMatch::Pattern) {
            fail(operation, what + " is a pattern; blocks are exact or prefix");
        }
    }
}

std::string joinLines(const std::vector<std::string>& items) {
    std::string joined;
    for (const std::string& item : items) {
        if (!joined.empty()) joined += '\n';
        joined += item;
    }
    return joined;
}

std::vector<std::string> splitLines(const std::string& text) {
    std::vector<std::string> items;
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) items.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return items;
}

RouteField fieldFrom(const std::string& text) {
    const auto field = routeFieldFromString(text);
    if (!field) fail("loadRoutingRules", "unknown match field '" + text + "'");
    return *field;
}

RouteMatch matchFrom(const std::string& text) {
    const auto match = routeMatchFromString(text);
    if (!match) fail("loadRoutingRules", "unknown match kind '" + text + "'");
    return *match;
}

// Replaces the three tables' rows with `rules` (checked by checkRules). REQUIRES: the store's
// mutex held, a transaction open.
void writeRoutingRules(Poco::Data::Session& session, const RoutingRules& rules) {
    session << "DELETE FROM routing_rules", now;
    session << "DELETE FROM routing_default", now;
    session << "DELETE FROM routing_blocks", now;
    for (const RoutingRule& rule : rules.rules) {
        // A rule that already has an ID keeps it, so logs and admins can refer to it.
        Int64 id = rule.id;
        session << "INSERT INTO routing_rules (id, field, match, value, users, priority, notes)"
                   " VALUES (NULLIF(?, 0), ?, ?, ?, ?, ?, ?)",
            bind(id), bind(toString(rule.field)), bind(toString(rule.match)), bind(rule.value),
            bind(joinLines(rule.users)), bind(rule.priority), bind(rule.notes), now;
    }
    for (std::size_t i = 0; i < rules.defaultUsers.size(); ++i) {
        session << "INSERT INTO routing_default (position, user) VALUES (?, ?)",
            bind(static_cast<int>(i)), bind(rules.defaultUsers[i]), now;
    }
    for (const BlockEntry& block : rules.blocked) {
        session << "INSERT INTO routing_blocks (field, match, value, notes) VALUES (?, ?, ?, ?)",
            bind(toString(block.field)), bind(toString(block.match)), bind(block.value),
            bind(block.notes), now;
    }
}

}  // namespace

RoutingRules SqliteStore::loadRoutingRules() {
    return readTransaction("loadRoutingRules", [&] {
        RoutingRules rules;
        using RuleRow = Poco::Tuple<Int64, std::string, std::string, std::string, std::string, int,
                                    std::string>;
        std::vector<RuleRow> ruleRows;
        session_ << "SELECT id, field, match, value, users, priority, notes FROM routing_rules"
                    " ORDER BY priority, id",
            into(ruleRows), now;
        for (const auto& row : ruleRows) {
            RoutingRule rule;
            rule.id = row.get<0>();
            rule.field = fieldFrom(row.get<1>());
            rule.match = matchFrom(row.get<2>());
            rule.value = row.get<3>();
            rule.users = splitLines(row.get<4>());
            rule.priority = row.get<5>();
            rule.notes = row.get<6>();
            rules.rules.push_back(std::move(rule));
        }
        std::vector<std::string> defaults;
        session_ << "SELECT user FROM routing_default ORDER BY position", into(defaults), now;
        rules.defaultUsers = std::move(defaults);
        using BlockRow = Poco::Tuple<std::string, std::string, std::string, std::string>;
        std::vector<BlockRow> blockRows;
        session_ << "SELECT field, match, value, notes FROM routing_blocks ORDER BY id",
            into(blockRows), now;
        for (const auto& row : blockRows) {
            BlockEntry block;
            block.field = fieldFrom(row.get<0>());
            block.match = matchFrom(row.get<1>());
            block.value = row.get<2>();
            block.notes = row.get<3>();
            rules.blocked.push_back(std::move(block));
        }
        return rules;
    });
}

void SqliteStore::replaceRoutingRules(const RoutingRules& rules) {
    checkRules("replaceRoutingRules", rules);
    writeTransaction("replaceRoutingRules", [&] { writeRoutingRules(session_, rules); });
}

int64_t SqliteStore::replaceRoutingRulesAudited(const RoutingRules& rules,
                                                const AuditEntry& entry) {
    checkRules("replaceRoutingRules", rules);
    sqlite_internal::checkAudit("replaceRoutingRules", entry);
    return writeTransaction("replaceRoutingRules", [&] {
        writeRoutingRules(session_, rules);
        return sqlite_internal::insertAudit(session_, entry);
    });
}

std::optional<CommunicationRecord> SqliteStore::findRecord(const std::string& recordId) {
    return readTransaction("findRecord", [&]() -> std::optional<CommunicationRecord> {
        std::vector<RecordRow> rows;
        session_ << "SELECT " + kRecordColumns + " FROM records WHERE record_id = ?",
            bind(recordId), into(rows), now;
        if (rows.empty()) return std::nullopt;
        return toRecord(rows.front());
    });
}

bool SqliteStore::storeReception(const CommunicationRecord& record,
                                 const std::vector<MailboxMessage>& messages,
                                 const std::vector<OutboxMail>& mails) {
    const char* operation = "storeReception";
    checkId(operation, "record ID", record.recordId);
    for (const MailboxMessage& message : messages) {
        checkId(operation, "user", message.user);
        checkId(operation, "folder", message.folder);
    }
    std::vector<std::string> recipientLists;
    recipientLists.reserve(mails.size());
    for (const OutboxMail& mail : mails) recipientLists.push_back(checkOutboxMail(operation, mail));
    return writeTransaction(operation, [&] {
        if (!insertRecord(session_, record)) return false;
        for (const MailboxMessage& message : messages) {
            insertMailboxMessage(session_, message.user, message.folder,
                                 Int64{message.internalDateMs}, message.flags, message.data);
        }
        for (std::size_t i = 0; i < mails.size(); ++i) {
            insertOutboxMail(session_, mails[i], recipientLists[i]);
        }
        return true;
    });
}

}  // namespace faxgate::gateway
