//! `guildhall admin mail-test --to ADDRESS`: sends a test mail at once, past the queue, and
//! reports the SMTP server's answer (an error and a non-zero exit when it refuses or cannot be
//! reached).

use anyhow::{anyhow, bail};

use crate::config::Config;
use crate::mail::{message, transport, Letter};
use crate::storage::Db;
use crate::validate::Email;

pub async fn mail_test(db: &Db, config: &Config, to: &str) -> anyhow::Result<String> {
    let Some(settings) = &config.mail else {
        bail!("mail is off: set GUILDHALL_SMTP_URL and GUILDHALL_MAIL_FROM (see the README)");
    };
    let to = Email::parse(to).map_err(|e| anyhow!("--to: {e}"))?;
    let space = crate::spaces::store::name(db)
        .await
        .map_err(|e| anyhow!("cannot read the space: {e}"))?
        .unwrap_or_else(|| config.domain.clone());
    let letter = Letter::new(format!("Test mail from {space}"))
        .paragraph("This is a test mail. If you read it, this space can send mail.")
        .action("Visit the space", config.base_url());
    let rendered = letter.render(&space);
    let message =
        message::build(&settings.from, &space, to.as_str(), &rendered).map_err(|e| anyhow!(e))?;
    let transport = transport::build(&settings.smtp).map_err(|e| anyhow!(e))?;
    match transport::send(&transport, message).await {
        transport::Outcome::Sent(answer) => Ok(format!(
            "sent to {} through {}:{}; the server answered: {answer}",
            to.as_str(),
            settings.smtp.host,
            settings.smtp.port
        )),
        transport::Outcome::Permanent(e) | transport::Outcome::Transient(e) => Err(anyhow!(
            "not sent through {}:{}: {e}",
            settings.smtp.host,
            settings.smtp.port
        )),
    }
}
