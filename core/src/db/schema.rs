//! Diesel table definitions of the core schema (`migrations/*/…_core/up.sql`, and
//! `…_hook_outbox/up.sql` for `hook_outbox`, `…_hook_delivery/up.sql` for `hook_readers` and
//! `hook_dead_letters`, `…_module_policy/up.sql` for `module_policy`, `…_cluster/up.sql` for `replicas`,
//! `cluster_leases` and `module_bundles`, `…_module_webhooks/up.sql` for `module_webhook_deliveries`).
#![allow(missing_docs)]

diesel::table! {
    companies (id) {
        id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        issue_prefix -> Text,
        issue_counter -> BigInt,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    agents (id) {
        id -> Text,
        company_id -> Text,
        name -> Text,
        role -> Text,
        title -> Nullable<Text>,
        status -> Text,
        reports_to -> Nullable<Text>,
        budget_monthly_cents -> BigInt,
        spent_monthly_cents -> BigInt,
        spend_month -> Text,
        budget_alerts_sent -> Integer,
        metadata -> Text,
        last_heartbeat_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    goals (id) {
        id -> Text,
        company_id -> Text,
        title -> Text,
        description -> Nullable<Text>,
        level -> Text,
        status -> Text,
        parent_id -> Nullable<Text>,
        owner_agent_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    projects (id) {
        id -> Text,
        company_id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        status -> Text,
        goal_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    issues (id) {
        id -> Text,
        company_id -> Text,
        number -> BigInt,
        identifier -> Text,
        title -> Text,
        description -> Nullable<Text>,
        status -> Text,
        priority -> Text,
        assignee_agent_id -> Nullable<Text>,
        project_id -> Nullable<Text>,
        goal_id -> Nullable<Text>,
        parent_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    activity (id) {
        id -> Text,
        company_id -> Text,
        actor -> Text,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        details -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    heartbeats (id) {
        id -> Text,
        company_id -> Text,
        agent_id -> Text,
        tokens_used -> Nullable<BigInt>,
        cost_cents -> Nullable<BigInt>,
        model -> Nullable<Text>,
        latency_ms -> Nullable<BigInt>,
        meta -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cost_events (id) {
        id -> Text,
        company_id -> Text,
        agent_id -> Text,
        amount_cents -> BigInt,
        source -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    module_state (module_id) {
        module_id -> Text,
        enabled -> Bool,
        enable_order -> BigInt,
        config_override -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    mod_migrations (module_id, version) {
        module_id -> Text,
        version -> Text,
        checksum -> Text,
        applied_at -> Timestamp,
    }
}

diesel::table! {
    hook_outbox (seq) {
        seq -> BigInt,
        event_id -> Text,
        hook -> Text,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    module_policy (module_id) {
        module_id -> Text,
        granted -> Nullable<Text>,
        company_mode -> Text,
        company_ids -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    hook_readers (reader) {
        reader -> Text,
        delivered_seq -> BigInt,
        state -> Text,
        retains_events -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    hook_dead_letters (reader, event_id) {
        reader -> Text,
        event_id -> Text,
        seq -> BigInt,
        hook -> Text,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        last_error -> Text,
        first_failed_at -> Timestamp,
        last_failed_at -> Timestamp,
    }
}

diesel::table! {
    replicas (replica_id) {
        replica_id -> Text,
        host -> Text,
        pid -> BigInt,
        address -> Nullable<Text>,
        version -> Text,
        started_at -> Timestamp,
        heartbeat_at -> Timestamp,
    }
}

diesel::table! {
    cluster_leases (name) {
        name -> Text,
        holder -> Text,
        acquired_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    module_bundles (sha256) {
        sha256 -> Text,
        module_id -> Text,
        version -> Text,
        archive -> Binary,
        stored_by -> Text,
        stored_at -> Timestamp,
    }
}

diesel::table! {
    module_webhook_deliveries (id) {
        id -> BigInt,
        module_id -> Text,
        webhook_key -> Text,
        received_at -> Timestamp,
        status -> Integer,
        body_bytes -> BigInt,
        duration_ms -> BigInt,
        error -> Nullable<Text>,
    }
}

diesel::joinable!(agents -> companies (company_id));
diesel::joinable!(goals -> companies (company_id));
diesel::joinable!(projects -> companies (company_id));
diesel::joinable!(issues -> companies (company_id));
diesel::joinable!(activity -> companies (company_id));
diesel::joinable!(heartbeats -> agents (agent_id));
diesel::joinable!(cost_events -> agents (agent_id));

diesel::allow_tables_to_appear_in_same_query!(
    companies,
    agents,
    goals,
    projects,
    issues,
    activity,
    heartbeats,
    cost_events,
    module_state,
    module_policy,
    mod_migrations,
    hook_outbox,
    hook_readers,
    hook_dead_letters,
    replicas,
    cluster_leases,
    module_bundles,
    module_webhook_deliveries,
);
