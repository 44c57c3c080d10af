//! Shanghai's 16 districts (administrative division codes 3101xx), the places a firm may be registered in the hub.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct District {
    pub key: &'static str,
    pub code: &'static str,
    pub name_zh: &'static str,
}

/// GB/T 2260 codes of Shanghai's districts.
pub const DISTRICTS: [District; 16] = [
    District {
        key: "huangpu",
        code: "310101",
        name_zh: "黄浦区",
    },
    District {
        key: "xuhui",
        code: "310104",
        name_zh: "徐汇区",
    },
    District {
        key: "changning",
        code: "310105",
        name_zh: "长宁区",
    },
    District {
        key: "jingan",
        code: "310106",
        name_zh: "静安区",
    },
    District {
        key: "putuo",
        code: "310107",
        name_zh: "普陀区",
    },
    District {
        key: "hongkou",
        code: "310109",
        name_zh: "虹口区",
    },
    District {
        key: "yangpu",
        code: "310110",
        name_zh: "杨浦区",
    },
    District {
        key: "minhang",
        code: "310112",
        name_zh: "闵行区",
    },
    District {
        key: "baoshan",
        code: "310113",
        name_zh: "宝山区",
    },
    District {
        key: "jiading",
        code: "310114",
        name_zh: "嘉定区",
    },
    District {
        key: "pudong",
        code: "310115",
        name_zh: "浦东新区",
    },
    District {
        key: "jinshan",
        code: "310116",
        name_zh: "金山区",
    },
    District {
        key: "songjiang",
        code: "310117",
        name_zh: "松江区",
    },
    District {
        key: "qingpu",
        code: "310118",
        name_zh: "青浦区",
    },
    District {
        key: "fengxian",
        code: "310120",
        name_zh: "奉贤区",
    },
    District {
        key: "chongming",
        code: "310151",
        name_zh: "崇明区",
    },
];

/// Accepts a district key (`pudong`), its code (`310115`) or its Chinese name (`浦东新区`).
pub fn parse_district(s: &str) -> Option<District> {
    let s = s.trim();
    DISTRICTS
        .iter()
        .find(|d| d.key.eq_ignore_ascii_case(s) || d.code == s || d.name_zh == s)
        .copied()
}

pub fn keys() -> String {
    DISTRICTS
        .iter()
        .map(|d| d.key)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses_all_forms() {
        assert_eq!(parse_district("Pudong").unwrap().code, "310115");
        assert_eq!(parse_district("310106").unwrap().key, "jingan");
        assert_eq!(parse_district("崇明区").unwrap().key, "chongming");
        assert!(parse_district("beijing").is_none());
    }
}
