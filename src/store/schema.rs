//! diesel table definitions, shared by both backends (the migrations keep the two schemas identical).

diesel::table! {
    institutions (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        created_at -> Timestamp,
        rate_per_sec -> Nullable<Integer>,
        rate_burst -> Nullable<Integer>,
        daily_quota -> Nullable<Integer>,
    }
}

diesel::table! {
    firms (uscc) {
        uscc -> Text,
        name -> Text,
        industry_code -> Text,
        industry_row -> Text,
        district -> Text,
        established_on -> Date,
        registered_capital_fen -> BigInt,
        employees -> Nullable<BigInt>,
        revenue_fen -> Nullable<BigInt>,
        total_assets_fen -> Nullable<BigInt>,
        size_class -> Text,
        size_standard -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        key_hash -> Text,
        prefix -> Text,
        role -> Text,
        institution_id -> Nullable<Text>,
        firm_uscc -> Nullable<Text>,
        label -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(api_keys -> institutions (institution_id));
diesel::allow_tables_to_appear_in_same_query!(
    institutions,
    firms,
    api_keys,
    ingestion_runs,
    signals,
    ingestion_rejects,
    profiles,
    consents,
    access_log,
    products,
    firm_designations,
    receivables,
    ip_assets,
    applications,
    application_events,
    loans,
    guarantees,
    subsidy_policies,
    claim_batches,
    claim_lines,
    agency_net_assets,
    users,
    user_links,
    sessions,
    auth_events,
    reward_claims,
    loan_balances,
    receivable_payments,
    department_remits,
    remedy_requests,
    remedy_steps,
    remedy_files,
    monitoring_events,
    scorecards,
    shadow_scores,
    firm_declarations
);

diesel::table! {
    reward_claims (id) {
        id -> Text,
        policy_id -> Text,
        agency_id -> Text,
        from_on -> Date,
        to_on -> Date,
        eligible_contracts -> Integer,
        average_balance_fen -> BigInt,
        reward_fen -> BigInt,
        status -> Text,
        claimed_at -> Timestamp,
        approved_at -> Nullable<Timestamp>,
        paid_at -> Nullable<Timestamp>,
        small_micro_fen -> Nullable<BigInt>,
    }
}

diesel::table! {
    ingestion_runs (id) {
        id -> Text,
        source -> Text,
        origin -> Text,
        status -> Text,
        received -> BigInt,
        accepted -> BigInt,
        superseded -> BigInt,
        duplicate -> BigInt,
        quarantined -> BigInt,
        error -> Nullable<Text>,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        runner -> Nullable<Text>,
    }
}

diesel::table! {
    signals (uscc, source, kind, period, event_key, version) {
        uscc -> Text,
        source -> Text,
        kind -> Text,
        period -> Text,
        event_key -> Text,
        version -> Integer,
        value_fen -> Nullable<BigInt>,
        value_num -> Nullable<Text>,
        value_code -> Nullable<Text>,
        event_start -> Nullable<Date>,
        event_end -> Nullable<Date>,
        authority -> Nullable<Text>,
        repaired_on -> Nullable<Date>,
        record_id -> Nullable<Text>,
        run_id -> Text,
        ingested_at -> Timestamp,
        superseded_at -> Nullable<Timestamp>,
        severity -> Nullable<Text>,
        legal_basis -> Nullable<Text>,
    }
}

diesel::table! {
    ingestion_rejects (run_id, line_no) {
        run_id -> Text,
        line_no -> BigInt,
        raw -> Text,
        reasons -> Text,
    }
}

diesel::table! {
    source_cursors (source) {
        source -> Text,
        cursor -> Text,
        updated_at -> Timestamp,
    }
}

// A per-transaction staging table for the keys a bulk merge supersedes (created as TEMP by `store::bulk`,
// not by migrations).
diesel::table! {
    signals_stage (uscc, source, kind, period, event_key) {
        uscc -> Text,
        source -> Text,
        kind -> Text,
        period -> Text,
        event_key -> Text,
    }
}

diesel::table! {
    profiles (uscc, version) {
        uscc -> Text,
        version -> Integer,
        as_of -> Text,
        scorecard_version -> Text,
        score -> Integer,
        grade -> Text,
        fingerprint -> Text,
        cause -> Text,
        body -> Text,
        computed_at -> Timestamp,
    }
}

diesel::table! {
    consents (id) {
        id -> Text,
        firm_uscc -> Text,
        institution_id -> Text,
        purpose -> Text,
        scope -> Text,
        data_months -> Integer,
        max_queries_per_month -> Nullable<Integer>,
        data_life_days -> Integer,
        document_ref -> Nullable<Text>,
        granted_by -> Text,
        granted_key_id -> Text,
        valid_from -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        confirmed_by -> Nullable<Text>,
        confirmed_key_id -> Nullable<Text>,
        refused_at -> Nullable<Timestamp>,
        refused_reason -> Nullable<Text>,
    }
}

diesel::table! {
    access_log (id) {
        id -> Text,
        at -> Timestamp,
        key_id -> Text,
        role -> Text,
        institution_id -> Nullable<Text>,
        firm_uscc -> Text,
        purpose -> Nullable<Text>,
        consent_id -> Nullable<Text>,
        scope -> Nullable<Text>,
        route -> Text,
        result -> Text,
        reason -> Nullable<Text>,
        request_id -> Nullable<Text>,
        client_request_id -> Nullable<Text>,
    }
}

diesel::table! {
    products (id) {
        id -> Text,
        institution_id -> Text,
        kind -> Text,
        name -> Text,
        spec -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    firm_designations (firm_uscc, designation) {
        firm_uscc -> Text,
        designation -> Text,
        granted_on -> Date,
        expires_on -> Nullable<Date>,
    }
}

diesel::table! {
    receivables (id) {
        id -> Text,
        creditor_uscc -> Text,
        debtor_uscc -> Text,
        invoice_no -> Text,
        amount_fen -> BigInt,
        due_on -> Date,
        status -> Text,
        dispute_reason -> Nullable<Text>,
        registered_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        financed_application_id -> Nullable<Text>,
        financed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    receivable_payments (id) {
        id -> Text,
        receivable_id -> Text,
        paid_on -> Date,
        amount_fen -> BigInt,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    ip_assets (id) {
        id -> Text,
        owner_uscc -> Text,
        kind -> Text,
        number -> Text,
        title -> Text,
        appraised_value_fen -> BigInt,
        appraised_on -> Date,
        pledged_application_id -> Nullable<Text>,
        pledged_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    applications (id) {
        id -> Text,
        firm_uscc -> Text,
        product_id -> Text,
        institution_id -> Text,
        amount_fen -> BigInt,
        term_months -> Integer,
        status -> Text,
        consent_id -> Text,
        first_loan -> Bool,
        credit_loan -> Bool,
        collateral -> Text,
        quoted_cost -> Text,
        approved_amount_fen -> Nullable<BigInt>,
        approved_rate -> Nullable<Text>,
        approved_term_months -> Nullable<Integer>,
        decline_code -> Nullable<Text>,
        decline_reason -> Nullable<Text>,
        loan_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    application_events (id) {
        id -> Text,
        application_id -> Text,
        kind -> Text,
        amount_fen -> Nullable<BigInt>,
        on_date -> Nullable<Date>,
        detail -> Nullable<Text>,
        key_id -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    loans (id) {
        id -> Text,
        firm_uscc -> Text,
        institution_id -> Text,
        application_id -> Nullable<Text>,
        amount_fen -> BigInt,
        start_on -> Date,
        maturity_on -> Date,
        outstanding_fen -> BigInt,
        status -> Text,
        closed_on -> Nullable<Date>,
        created_at -> Timestamp,
        kind -> Text,
        first_loan -> Bool,
        renews_loan_id -> Nullable<Text>,
        credit_line_fen -> Nullable<BigInt>,
        size_class -> Nullable<Text>,
        interest_rate -> Nullable<Text>,
    }
}

diesel::table! {
    loan_balances (loan_id, as_of) {
        loan_id -> Text,
        as_of -> Date,
        outstanding_fen -> BigInt,
        reported_at -> Timestamp,
        days_past_due -> Nullable<Integer>,
    }
}

diesel::table! {
    guarantees (id) {
        id -> Text,
        agency_id -> Text,
        contract_no -> Text,
        firm_uscc -> Text,
        lender -> Text,
        loan_amount_fen -> BigInt,
        guaranteed_fen -> BigInt,
        fee_rate -> Text,
        start_on -> Date,
        end_on -> Date,
        released_on -> Nullable<Date>,
        called_on -> Nullable<Date>,
        compensation_fen -> Nullable<BigInt>,
        application_id -> Nullable<Text>,
        first_loan -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    subsidy_policies (id) {
        id -> Text,
        name -> Text,
        spec -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    claim_batches (id) {
        id -> Text,
        agency_id -> Text,
        policy_id -> Text,
        idempotency_key -> Nullable<Text>,
        body_hash -> Text,
        status -> Text,
        lines -> Integer,
        claimed_fen -> BigInt,
        computed_fen -> BigInt,
        approved_fen -> BigInt,
        difference_fen -> BigInt,
        submitted_at -> Timestamp,
        reconciled_at -> Timestamp,
        approved_at -> Nullable<Timestamp>,
        paid_at -> Nullable<Timestamp>,
        withdrawn_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    claim_lines (batch_id, line_no) {
        batch_id -> Text,
        line_no -> Integer,
        contract_no -> Text,
        guarantee_id -> Nullable<Text>,
        firm_uscc -> Nullable<Text>,
        from_on -> Date,
        to_on -> Date,
        claimed_fen -> BigInt,
        status -> Text,
        computed_fen -> BigInt,
        approved_fen -> BigInt,
        difference_fen -> BigInt,
        year_days -> Text,
        before_caps_fen -> BigInt,
        caps -> Text,
        reason -> Nullable<Text>,
        size_class -> Nullable<Text>,
    }
}

diesel::table! {
    agency_net_assets (agency_id, as_of) {
        agency_id -> Text,
        as_of -> Date,
        net_assets_fen -> BigInt,
        reported_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        login -> Text,
        display_name -> Text,
        party -> Text,
        firm_uscc -> Nullable<Text>,
        institution_id -> Nullable<Text>,
        role -> Text,
        password_hash -> Nullable<Text>,
        status -> Text,
        language -> Text,
        failed_sign_ins -> Integer,
        locked_until -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_links (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        issued_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        csrf_token -> Text,
        address -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    auth_events (id) {
        id -> Text,
        at -> Timestamp,
        user_id -> Nullable<Text>,
        login -> Text,
        event -> Text,
        address -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        recipient -> Text,
        kind -> Text,
        subject -> Text,
        detail -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notification_marks (recipient) {
        recipient -> Text,
        access_seen_id -> Text,
    }
}

diesel::table! {
    department_remits (institution_id, source) {
        institution_id -> Text,
        source -> Text,
    }
}

diesel::table! {
    remedy_requests (id) {
        id -> Text,
        kind -> Text,
        firm_uscc -> Text,
        source -> Text,
        owner -> Text,
        signal_kind -> Text,
        period -> Text,
        event_key -> Text,
        record_id -> Nullable<Text>,
        status -> Text,
        statement -> Text,
        claimed_value -> Nullable<Text>,
        refs -> Text,
        submitted_at -> Timestamp,
        accept_due -> Nullable<Date>,
        decide_due -> Date,
        accepted_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        handled_by -> Nullable<Text>,
        outcome_reason -> Nullable<Text>,
        repaired_on -> Nullable<Date>,
        correction_run_id -> Nullable<Text>,
    }
}

diesel::table! {
    remedy_steps (id) {
        id -> Text,
        request_id -> Text,
        at -> Timestamp,
        action -> Text,
        actor -> Text,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    remedy_files (id) {
        id -> Text,
        request_id -> Text,
        filename -> Text,
        content_type -> Text,
        sha256 -> Text,
        size_bytes -> BigInt,
        bytes -> Binary,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    monitoring_events (id) {
        id -> Text,
        institution_id -> Text,
        consent_id -> Text,
        firm_uscc -> Text,
        kind -> Text,
        subject -> Text,
        detail -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    scorecards (version) {
        version -> Text,
        role -> Text,
        body -> Text,
        origin -> Text,
        registered_by -> Text,
        registered_at -> Timestamp,
        promoted_by -> Nullable<Text>,
        promoted_at -> Nullable<Timestamp>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    shadow_scores (uscc, as_of, scorecard_version) {
        uscc -> Text,
        as_of -> Text,
        scorecard_version -> Text,
        score -> Integer,
        grade -> Text,
        computed_at -> Timestamp,
    }
}

diesel::table! {
    firm_declarations (id) {
        id -> Text,
        uscc -> Text,
        employees -> Nullable<BigInt>,
        revenue_fen -> Nullable<BigInt>,
        total_assets_fen -> Nullable<BigInt>,
        status -> Text,
        declared_at -> Timestamp,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        note -> Nullable<Text>,
    }
}
