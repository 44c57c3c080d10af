//! A browser without JavaScript for the page tests: it keeps cookies, does not follow redirects, and
//! sends forms (URL-encoded, or multipart with a file).
#![allow(dead_code)]

use super::TestApp;
use credithub::service::accounts::{self, NewStaff, Newcomer};
use credithub::service::{Actor, Context};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;
use std::collections::HashMap;

/// The password the page tests give the accounts they make.
pub const PASSWORD: &str = "Kettle-42-blue";

/// A browser without JavaScript: it keeps cookies and does not follow redirects.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub html: String,
    /// The body as sent (a download's bytes).
    pub bytes: Vec<u8>,
}

impl Page {
    fn with_body(mut self, bytes: Vec<u8>) -> Page {
        self.html = String::from_utf8_lossy(&bytes).into_owned();
        self.bytes = bytes;
        self
    }

    /// The page says `text` (the page is shown when it does not).
    pub fn shows(&self, text: &str) {
        assert!(self.html.contains(text), "{text} not in {}", self.html);
    }

    /// The value of a hidden `csrf` field.
    pub fn csrf(&self) -> String {
        let at = self
            .html
            .find("name=\"csrf\" value=\"")
            .expect("a csrf field")
            + 19;
        self.html[at..].split('"').next().unwrap().to_string()
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let resp = req.header(COOKIE, cookie).send().await.unwrap();
        let set_cookies: Vec<String> = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        for c in &set_cookies {
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        Page {
            status: resp.status().as_u16(),
            location: resp
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_string()),
            set_cookies,
            bytes: Vec::new(),
            html: String::new(),
        }
        .with_body(resp.bytes().await.unwrap().to_vec())
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.client.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.client.post(format!("{}{path}", self.base)).form(form);
        self.send(req).await
    }

    pub async fn sign_in(&mut self, login: &str, password: &str) -> Page {
        let csrf = self.get("/").await.csrf();
        self.post(
            "/sign-in",
            &[("login", login), ("password", password), ("csrf", &csrf)],
        )
        .await
    }
}

impl Browser {
    /// Send a form with a file (`multipart/form-data`), as a browser does for `<input type=file>`.
    pub async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        filename: &str,
        bytes: Vec<u8>,
    ) -> Page {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(filename.to_string()),
        );
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .multipart(form);
        self.send(req).await
    }

    /// The raw bytes of a download (a report), with its status.
    pub async fn download(&mut self, path: &str) -> (u16, Vec<u8>) {
        let p = self.get(path).await;
        (p.status, p.bytes)
    }
}

/// The demo data set (`credithub demo`) on the test's own database, and its keys file's values.
pub struct Demo {
    pub app: TestApp,
    pub env: HashMap<String, String>,
}

impl Demo {
    pub async fn new() -> Demo {
        let app = super::spawn_app().await;
        let env = super::demo_env(&app).await;
        Demo { app, env }
    }

    pub fn var(&self, k: &str) -> &str {
        self.env
            .get(k)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {k}"))
    }

    /// A browser signed in as the demo account `label` (`agency`, `bank`, `gov`, `owner`).
    pub async fn signed_in(&self, label: &str) -> Browser {
        let up = label.to_uppercase();
        let mut b = Browser::new(&self.app);
        let r = b
            .sign_in(
                self.var(&format!("DEMO_{up}_LOGIN")),
                self.var(&format!("DEMO_{up}_PASSWORD")),
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.html);
        b
    }

    /// A browser signed in as a new staff member of `institution` (an existing demo institution).
    pub async fn staff_of(&self, login: &str, institution: &str) -> Browser {
        let ctx = Context::new(self.app.db.clone(), self.app.profiles.clone()).unwrap();
        let new = Newcomer::Staff(NewStaff {
            login,
            display_name: "孙丽",
            institution,
            kind: None,
        });
        accounts::provision_with_password(&ctx, &Actor::Admin, new, PASSWORD)
            .await
            .unwrap();
        let mut b = Browser::new(&self.app);
        assert_eq!(b.sign_in(login, PASSWORD).await.status, 303);
        b
    }

    pub async fn api(&self, path: &str, key: &str) -> Value {
        let (status, v) = self.app.get(path, Some(self.var(key))).await;
        assert_eq!(status, 200, "{path}: {v}");
        v
    }
}

/// The text of the element with this id (the first `>` after it up to the next `<`).
pub fn by_id(page: &Page, id: &str) -> String {
    let at = page
        .html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {}", page.html));
    let rest = &page.html[at..];
    let open = rest.find('>').unwrap() + 1;
    let text = &rest[open..];
    // Skip nested tags (a status pill inside a <dd>).
    let text = if text.starts_with('<') {
        &text[text.find('>').unwrap() + 1..]
    } else {
        text
    };
    text[..text.find('<').unwrap()].trim().to_string()
}

impl Demo {
    /// The demo firm's owner, signed in.
    pub async fn owner(&self) -> Browser {
        self.signed_in("owner").await
    }
}

/// The fields a browser would send for the form posting to `action` on the page, as it stands: inputs
/// with their values (checkboxes and radios only when checked), the selected option of each select, the
/// text of each textarea. Enough of HTML for the pages' own markup (maud's quoting).
pub fn form_fields(page: &Page, action: &str) -> Vec<(String, String)> {
    let html = &page.html;
    let start = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form posting to {action}"));
    let end = start + html[start..].find("</form>").unwrap();
    let form = &html[start..end];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!(" {name}=\"");
        tag.find(&key).map(|i| {
            let rest = &tag[i + key.len()..];
            unescape(&rest[..rest.find('"').unwrap()])
        })
    };
    let flag = |tag: &str, name: &str| {
        tag.contains(&format!(" {name}>"))
            || tag.contains(&format!(" {name} "))
            || tag.ends_with(&format!(" {name}"))
    };
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = form[at..].find('<') {
        let open = at + i;
        let close = open + form[open..].find('>').unwrap();
        let tag = &form[open..=close];
        at = close + 1;
        if tag.starts_with("<input") {
            let Some(name) = attr(tag, "name") else {
                continue;
            };
            let kind = attr(tag, "type").unwrap_or_else(|| "text".into());
            if (kind == "checkbox" || kind == "radio") && !flag(tag, "checked") {
                continue;
            }
            if kind == "submit" || kind == "file" {
                continue;
            }
            out.push((name, attr(tag, "value").unwrap_or_default()));
        } else if tag.starts_with("<select") {
            let name = attr(tag, "name").unwrap();
            let body_end = at + form[at..].find("</select>").unwrap();
            let body = &form[at..body_end];
            let mut first = None;
            let mut chosen = None;
            for opt in body.split("<option").skip(1) {
                let head = &opt[..opt.find('>').unwrap() + 1];
                let v = attr(head, "value").unwrap_or_default();
                first.get_or_insert(v.clone());
                if flag(head, "selected") {
                    chosen = Some(v);
                }
            }
            out.push((name, chosen.or(first).unwrap_or_default()));
            at = body_end;
        } else if tag.starts_with("<textarea") {
            let name = attr(tag, "name").unwrap();
            let body_end = at + form[at..].find("</textarea>").unwrap();
            out.push((name, unescape(&form[at..body_end])));
            at = body_end;
        }
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
