//! People's accounts through the application layer (issue 16, first step), against the real database:
//! provisioning with one-time links, argon2id passwords, sessions in the database, the two lockouts,
//! suspension, and the audit of every sign-in.

mod common;
use chrono::Duration;
use common::{spawn_app_with, Options, TestApp};
use credithub::clock::Clock;
use credithub::domain::ids::InstitutionId;
use credithub::service::accounts::{self, Account, Issued, Issuer, NewAccount, SignInError};
use credithub::service::{Actor, Context};

const PASSWORD: &str = "Kettle-42-blue";

struct Desk {
    app: TestApp,
    ctx: Context,
    clock: Clock,
    firm: String,
    gov: Actor,
}

impl Desk {
    async fn new() -> Desk {
        let start = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(2, 0, 0)
            .unwrap();
        let clock = Clock::fixed(start);
        let app = spawn_app_with(Options {
            clock: clock.clone(),
            ..Default::default()
        })
        .await;
        let firm = app.register_firms(61, 1).await.remove(0);
        let mut ctx = Context::new(app.db.clone(), app.profiles.clone()).unwrap();
        ctx.clock = clock.clone();
        Desk {
            app,
            ctx,
            clock,
            firm,
            gov: Actor::Government {
                institution: InstitutionId::new("gov-econ").unwrap(),
            },
        }
    }

    async fn create(&self, issuer: Issuer<'_>, login: &str, role: &str) -> Issued {
        let firm = self.firm.clone();
        self.attempt(issuer, login, "张伟", &firm, role)
            .await
            .unwrap_or_else(|e| panic!("create {login}: {e:?}"))
    }

    /// An active owner of the desk's firm.
    async fn owner(&self, login: &str) -> Account {
        let issued = self
            .create(Issuer::Platform(&self.gov), login, "owner")
            .await;
        accounts::set_password(&self.ctx, &issued.token, PASSWORD)
            .await
            .unwrap()
    }

    fn later(&self, minutes: i64) {
        self.clock
            .set(self.clock.now() + Duration::minutes(minutes));
    }
}

#[tokio::test]
async fn the_government_provisions_an_owner_who_activates_once_and_signs_in() {
    let d = Desk::new().await;
    let issued = d
        .create(Issuer::Platform(&d.gov), "Zhang.Wei", "owner")
        .await;
    assert_eq!(issued.account.login, "zhang.wei");
    assert_eq!(issued.account.status.as_str(), "pending");
    assert_eq!(issued.expires_at, d.clock.now() + Duration::hours(72));
    // Pending: no sign-in yet (it counts as a failed one).
    d.later(1);
    assert!(matches!(
        accounts::sign_in(&d.ctx, "zhang.wei", PASSWORD, None).await,
        Err(SignInError::Wrong)
    ));
    // The password rule, every fault at once, nothing changed.
    let e = accounts::set_password(&d.ctx, &issued.token, "zhang.wei")
        .await
        .unwrap_err();
    let rules = match e {
        accounts::AccountError::Invalid(v) => v.into_iter().map(|v| v.rule).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(rules, ["password.length", "password.contains_login"]);
    d.later(1);
    let active = accounts::set_password(&d.ctx, &issued.token, PASSWORD)
        .await
        .unwrap();
    assert_eq!(active.status.as_str(), "active");
    d.later(1);
    // One time only.
    let again = accounts::set_password(&d.ctx, &issued.token, PASSWORD).await;
    assert!(
        matches!(&again, Err(accounts::AccountError::Invalid(v)) if v[0].rule == "link.used"),
        "{again:?}"
    );
    let s = accounts::sign_in(&d.ctx, "  ZHANG.WEI ", PASSWORD, Some("10.0.0.1"))
        .await
        .unwrap();
    assert_ne!(s.token, s.csrf);
    let live = accounts::session(&d.ctx, &s.token).await.unwrap().unwrap();
    assert_eq!(live.account.actor().firm().unwrap().as_str(), d.firm);
    assert_eq!((live.account.id, live.csrf), (active.id.clone(), s.csrf));
    // The password is stored as argon2id, never as itself.
    let stored = {
        let db = d.app.db.clone();
        let id = active.id.clone();
        tokio::task::spawn_blocking(move || {
            credithub::store::users::get(&mut db.conn().unwrap(), &id).unwrap()
        })
        .await
        .unwrap()
    };
    assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));
    d.later(1);
    accounts::sign_out(&d.ctx, &s.token, None).await.unwrap();
    assert!(accounts::session(&d.ctx, &s.token).await.unwrap().is_none());
    let trail: Vec<String> = accounts::events(&d.ctx, &active, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(
        trail,
        [
            "signed_out",
            "signed_in",
            "activated",
            "sign_in_failed",
            "link_issued"
        ]
    );
}

#[tokio::test]
async fn an_activation_link_expires_after_72_hours_and_a_new_one_replaces_it() {
    let d = Desk::new().await;
    let first = d.create(Issuer::Platform(&d.gov), "li.na", "owner").await;
    d.later(72 * 60);
    let e = accounts::set_password(&d.ctx, &first.token, PASSWORD).await;
    assert!(
        matches!(&e, Err(accounts::AccountError::Invalid(v)) if v[0].rule == "link.expired"),
        "{e:?}"
    );
    let second = accounts::issue_reset(&d.ctx, Issuer::Platform(&d.gov), "li.na")
        .await
        .unwrap();
    assert!(accounts::set_password(&d.ctx, &second.token, PASSWORD)
        .await
        .is_ok());
}

#[tokio::test]
async fn owners_invite_members_of_their_own_firm_only() {
    let d = Desk::new().await;
    let owner = d.owner("owner.one").await;
    let member = d
        .create(Issuer::Owner(&owner), "member.one", "member")
        .await;
    assert_eq!(member.account.firm().unwrap().1.as_str(), "member");
    let member = accounts::set_password(&d.ctx, &member.token, PASSWORD)
        .await
        .unwrap();
    // An owner makes no owners, and a member invites no one.
    let e = d
        .attempt(Issuer::Owner(&owner), "owner.two", "王芳", &d.firm, "owner")
        .await;
    assert!(
        matches!(e, Err(accounts::AccountError::Forbidden(_))),
        "{e:?}"
    );
    let e = d
        .attempt(
            Issuer::Owner(&member),
            "member.two",
            "王芳",
            &d.firm,
            "member",
        )
        .await;
    assert!(
        matches!(e, Err(accounts::AccountError::Forbidden(_))),
        "{e:?}"
    );
    // A taken login, an unknown role and a bad USCC: all at once where they can be.
    let e = d
        .attempt(Issuer::Platform(&d.gov), "x", " ", "not-a-uscc", "boss")
        .await;
    match e {
        Err(accounts::AccountError::Invalid(v)) => {
            let fields: Vec<&str> = v.iter().map(|v| v.field.as_str()).collect();
            assert_eq!(fields, ["login", "display_name", "firm", "role"]);
        }
        other => panic!("{other:?}"),
    }
    let taken = d
        .attempt(
            Issuer::Platform(&d.gov),
            "member.one",
            "王芳",
            &d.firm,
            "member",
        )
        .await;
    assert!(
        matches!(&taken, Err(accounts::AccountError::Invalid(v)) if v[0].rule == "login.taken"),
        "{taken:?}"
    );
    // The owner resets the member's password: the member's sessions end when the new one is set.
    let s = accounts::sign_in(&d.ctx, "member.one", PASSWORD, None)
        .await
        .unwrap();
    let reset = accounts::issue_reset(&d.ctx, Issuer::Owner(&owner), "member.one")
        .await
        .unwrap();
    accounts::set_password(&d.ctx, &reset.token, "Teapot-77-green")
        .await
        .unwrap();
    assert!(accounts::session(&d.ctx, &s.token).await.unwrap().is_none());
    assert!(
        accounts::sign_in(&d.ctx, "member.one", "Teapot-77-green", None)
            .await
            .is_ok()
    );
    // A member resets no one; a bank is not the government side.
    let member_reset = accounts::issue_reset(&d.ctx, Issuer::Owner(&member), "owner.one").await;
    assert!(matches!(
        member_reset,
        Err(accounts::AccountError::NotFound(_))
    ));
    let bank = Actor::Bank {
        institution: InstitutionId::new("bank-a").unwrap(),
    };
    let by_bank = d.create_err(Issuer::Platform(&bank)).await;
    assert!(matches!(by_bank, accounts::AccountError::Forbidden(_)));
}

impl Desk {
    async fn attempt(
        &self,
        issuer: Issuer<'_>,
        login: &str,
        display_name: &str,
        firm: &str,
        role: &str,
    ) -> Result<Issued, accounts::AccountError> {
        let new = NewAccount {
            login,
            display_name,
            firm,
            role,
        };
        accounts::create(&self.ctx, issuer, new).await
    }

    async fn create_err(&self, issuer: Issuer<'_>) -> accounts::AccountError {
        let firm = self.firm.clone();
        self.attempt(issuer, "someone.else", "王芳", &firm, "owner")
            .await
            .unwrap_err()
    }
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_for_fifteen_minutes_and_say_until_when() {
    let d = Desk::new().await;
    d.owner("chen.jie").await;
    for _ in 0..4 {
        assert!(matches!(
            accounts::sign_in(&d.ctx, "chen.jie", "wrong-password-1", None).await,
            Err(SignInError::Wrong)
        ));
    }
    let until = d.clock.now() + Duration::minutes(15);
    assert!(matches!(
        accounts::sign_in(&d.ctx, "chen.jie", "wrong-password-1", None).await,
        Err(SignInError::AccountLocked { until: u }) if u == until
    ));
    // Locked: even the right password waits, and the message names the end.
    let e = accounts::sign_in(&d.ctx, "chen.jie", PASSWORD, None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains(&until.to_string()), "{e}");
    d.later(15);
    assert!(accounts::sign_in(&d.ctx, "chen.jie", PASSWORD, None)
        .await
        .is_ok());
}

#[tokio::test]
async fn twenty_failures_from_one_address_refuse_it_whatever_the_login() {
    let d = Desk::new().await;
    d.owner("zhou.min").await;
    for i in 0..20 {
        let login = format!("nobody.{i}");
        assert!(matches!(
            accounts::sign_in(&d.ctx, &login, "guess-guess-1", Some("203.0.113.9")).await,
            Err(SignInError::Wrong)
        ));
    }
    let e = accounts::sign_in(&d.ctx, "zhou.min", PASSWORD, Some("203.0.113.9")).await;
    assert!(matches!(e, Err(SignInError::AddressLocked { .. })), "{e:?}");
    // Another address is not refused; the locked one is again once the window has passed.
    assert!(
        accounts::sign_in(&d.ctx, "zhou.min", PASSWORD, Some("203.0.113.10"))
            .await
            .is_ok()
    );
    d.later(16);
    assert!(
        accounts::sign_in(&d.ctx, "zhou.min", PASSWORD, Some("203.0.113.9"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn suspension_ends_every_session_at_once() {
    let d = Desk::new().await;
    let owner = d.owner("sun.li").await;
    let a = accounts::sign_in(&d.ctx, "sun.li", PASSWORD, None)
        .await
        .unwrap();
    let b = accounts::sign_in(&d.ctx, "sun.li", PASSWORD, None)
        .await
        .unwrap();
    let firm_actor = owner.actor();
    assert!(matches!(
        accounts::suspend(&d.ctx, &firm_actor, "sun.li").await,
        Err(accounts::AccountError::Forbidden(_))
    ));
    let s = accounts::suspend(&d.ctx, &d.gov, "sun.li").await.unwrap();
    assert_eq!(s.status.as_str(), "suspended");
    for t in [&a.token, &b.token] {
        assert!(accounts::session(&d.ctx, t).await.unwrap().is_none());
    }
    assert!(matches!(
        accounts::sign_in(&d.ctx, "sun.li", PASSWORD, None).await,
        Err(SignInError::NotActive(_))
    ));
    // The firm's list shows it, to its owner's firm and the government only.
    let firm = credithub::domain::Uscc::parse(&d.firm).unwrap();
    let listed = accounts::of_firm(&d.ctx, &d.gov, &firm).await.unwrap();
    assert_eq!(listed.len(), 1);
    let bank = Actor::Bank {
        institution: InstitutionId::new("bank-a").unwrap(),
    };
    assert!(accounts::of_firm(&d.ctx, &bank, &firm).await.is_err());
}
