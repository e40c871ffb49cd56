// Routing of received faxes; the order of the rules is explained in routing_table.h.
#include "gateway/routing/routing_table.h"

#include <algorithm>
#include <optional>
#include <tuple>

namespace faxgate::gateway {
namespace {

const std::string& fieldOf(const Reception& reception, RouteField field) {
    switch (field) {
        case RouteField::Called:
            return reception.calledNumber;
        case RouteField::Caller:
            return reception.callerNumber;
        case RouteField::Csid:
            return reception.remoteCsid;
    }
    return reception.calledNumber;
}

// Lower ranks are more specific (step 2 of the order in routing_table.h).
int matchRank(RouteMatch match) {
    switch (match) {
        case RouteMatch::Exact:
            return 0;
        case RouteMatch::Pattern:
            return 1;
        case RouteMatch::Prefix:
            return 2;
    }
    return 3;
}

int fieldRank(RouteField field) {
    switch (field) {
        case RouteField::Called:
            return 0;
        case RouteField::Caller:
            return 1;
        case RouteField::Csid:
            return 2;
    }
    return 3;
}

std::size_t literalCount(std::string_view pattern) {
    return static_cast<std::size_t>(
        std::count_if(pattern.begin(), pattern.end(), [](char c) { return c != '*' && c != '?'; }));
}

bool matches(RouteMatch match, const std::string& normalisedRule, const std::string& value) {
    if (normalisedRule.empty() || value.empty()) return false;
    switch (match) {
        case RouteMatch::Exact:
            return value == normalisedRule;
        case RouteMatch::Prefix:
            return value.compare(0, normalisedRule.size(), normalisedRule) == 0;
        case RouteMatch::Pattern:
            return matchesPattern(normalisedRule, value);
    }
    return false;
}

std::vector<std::string> withoutDuplicates(const std::vector<std::string>& users) {
    std::vector<std::string> unique;
    for (const std::string& user : users) {
        if (std::find(unique.begin(), unique.end(), user) == unique.end()) unique.push_back(user);
    }
    return unique;
}

std::string describe(RouteField field, RouteMatch match, const std::string& value) {
    return toString(field) + " " + toString(match) + " " + value;
}

}  // namespace

std::string normaliseRouteValue(std::string_view value) {
    std::string normalised;
    normalised.reserve(value.size());
    for (char c : value) {
        if (c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' ||
            c == '\r' || c == '\n') {
            continue;
        }
        normalised += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    }
    return normalised;
}

bool matchesPattern(std::string_view pattern, std::string_view value) {
    // Iterative glob with one backtrack point: linear in practice, never exponential.
    std::size_t p = 0, v = 0;
    std::size_t starAt = std::string_view::npos, resumeAt = 0;
    while (v < value.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == value[v])) {
            ++p;
            ++v;
        } else if (p < pattern.size() && pattern[p] == '*') {
            starAt = p++;
            resumeAt = v;
        } else if (starAt != std::string_view::npos) {
            p = starAt + 1;
            v = ++resumeAt;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

RoutingDecision route(const Reception& reception, const RoutingRules& rules) {
    const Reception normalised{normaliseRouteValue(reception.calledNumber),
                               normaliseRouteValue(reception.callerNumber),
                               normaliseRouteValue(reception.remoteCsid)};
    RoutingDecision decision;

    for (const BlockEntry& block : rules.blocked) {
        if (block.field == RouteField::Called || block.match == RouteMatch::Pattern) continue;
        if (matches(block.match, normaliseRouteValue(block.value),
                    fieldOf(normalised, block.field))) {
            decision.kind = RouteKind::Blocked;
            decision.explanation = "blocked: " + describe(block.field, block.match, block.value);
            return decision;
        }
    }

    // Sort key of a matching rule: smaller is more specific (routing_table.h, step 2).
    using Key = std::tuple<int, long long, int, int, int64_t>;
    std::optional<Key> bestKey;
    const RoutingRule* best = nullptr;
    for (const RoutingRule& rule : rules.rules) {
        if (rule.users.empty()) continue;
        const std::string value = normaliseRouteValue(rule.value);
        if (!matches(rule.match, value, fieldOf(normalised, rule.field))) continue;
        long long length = 0;
        if (rule.match == RouteMatch::Prefix) length = static_cast<long long>(value.size());
        if (rule.match == RouteMatch::Pattern) length = static_cast<long long>(literalCount(value));
        const Key key{matchRank(rule.match), -length, fieldRank(rule.field), rule.priority,
                      rule.id};
        if (!bestKey || key < *bestKey) {
            bestKey = key;
            best = &rule;
        }
    }
    if (best) {
        decision.kind = RouteKind::Rule;
        decision.users = withoutDuplicates(best->users);
        decision.ruleId = best->id;
        decision.explanation = "rule " + std::to_string(best->id) + ": " +
                               describe(best->field, best->match, best->value);
        return decision;
    }
    if (!rules.defaultUsers.empty()) {
        decision.kind = RouteKind::Default;
        decision.users = withoutDuplicates(rules.defaultUsers);
        decision.explanation = "default route";
        return decision;
    }
    decision.kind = RouteKind::Administrators;
    decision.explanation = "no rule and no default route: the administrators";
    return decision;
}

std::string routedToText(const RoutingDecision& decision) {
    if (decision.kind == RouteKind::Blocked) return "blocked";
    std::string text;
    for (const std::string& user : decision.users) {
        if (!text.empty()) text += ',';
        text += user;
    }
    return text;
}

}  // namespace faxgate::gateway
