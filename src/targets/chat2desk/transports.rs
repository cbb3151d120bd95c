//! Messengers by family. "**Transports differ per account.** WhatsApp Business channels
//! carry `wa_dialog` (also `wa_infobip`), Telegram-user channels `tg_user`, older accounts
//! `vkontakte` where newer ones say `vk`; `insta_direct`, `insta_local` exist. A user who
//! asks for "WhatsApp" means the channel's WhatsApp-family transport, whatever its name
//! there" (`shared/specs/chat2desk.md`). This table is the one place that knows the names.

/// Each family's transports, in the order we prefer them; a name ending in `_` is a prefix
/// (`wa_` takes any WhatsApp provider a channel may carry).
const FAMILIES: &[(&str, &[&str])] = &[
    ("whatsapp", &["whatsapp", "wa_dialog", "wa_infobip", "wa_"]),
    ("telegram", &["telegram", "tg_user", "tg_"]),
    ("vk", &["vk", "vkontakte"]),
    (
        "viber",
        &["viber", "viber_business", "viber_public", "viber_"],
    ),
    (
        "instagram",
        &["insta_direct", "insta_local", "instagram", "insta_"],
    ),
    ("facebook", &["facebook", "fb_"]),
    ("ok", &["ok", "odnoklassniki"]),
    ("email", &["email"]),
    ("sms", &["sms"]),
    ("skype", &["skype"]),
    ("wechat", &["wechat"]),
];

fn member(pattern: &str, transport: &str) -> bool {
    match pattern.strip_suffix('_') {
        Some(prefix) => transport
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('_') && rest.len() > 1),
        None => pattern == transport,
    }
}

/// The family a transport belongs to (a family's own name included), if any.
pub fn family(transport: &str) -> Option<&'static str> {
    FAMILIES
        .iter()
        .find(|(name, members)| *name == transport || members.iter().any(|m| member(m, transport)))
        .map(|(name, _)| *name)
}

/// The transport among `offered` (a channel's, or the account's) that serves `requested`:
/// the very name if offered, else the family's member we prefer. `None` when nothing of
/// the family is offered.
pub fn resolve<'a>(requested: &str, offered: &'a [String]) -> Option<&'a str> {
    if let Some(exact) = offered.iter().find(|t| t.as_str() == requested) {
        return Some(exact);
    }
    let (_, members) = FAMILIES.iter().find(|(name, members)| {
        *name == requested || members.iter().any(|m| member(m, requested))
    })?;
    members.iter().find_map(|pattern| {
        offered
            .iter()
            .find(|t| member(pattern, t))
            .map(String::as_str)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_requested_messenger_finds_its_family_on_the_channel() {
        let business = names(&["wa_dialog", "tg_user", "vkontakte", "sms"]);
        assert_eq!(resolve("whatsapp", &business), Some("wa_dialog"));
        assert_eq!(resolve("telegram", &business), Some("tg_user"));
        assert_eq!(resolve("vk", &business), Some("vkontakte"));
        assert_eq!(resolve("sms", &business), Some("sms"));
        assert_eq!(resolve("email", &business), None);
        assert_eq!(resolve("viber", &business), None);
        // The very name wins; a member asks for its family.
        let both = names(&["wa_infobip", "whatsapp"]);
        assert_eq!(resolve("whatsapp", &both), Some("whatsapp"));
        assert_eq!(resolve("wa_infobip", &both), Some("wa_infobip"));
        assert_eq!(resolve("wa_dialog", &both), Some("whatsapp"));
        // Any provider's prefix, but not a different word that happens to start alike.
        assert_eq!(resolve("whatsapp", &names(&["wa_360"])), Some("wa_360"));
        assert_eq!(resolve("whatsapp", &names(&["wax", "wa_"])), None);
        assert_eq!(
            resolve("instagram", &names(&["insta_local"])),
            Some("insta_local")
        );
        assert_eq!(resolve("pager", &business), None);
    }

    #[test]
    fn every_transport_the_spec_names_has_a_family_or_stands_alone() {
        for transport in [
            "wa_dialog",
            "tg_user",
            "vkontakte",
            "insta_direct",
            "viber_public",
        ] {
            assert!(family(transport).is_some(), "{transport}");
        }
        assert_eq!(family("widget"), None);
    }
}
