//! Notes (with their revisions) and files of a project.

use serde::Deserialize;

use super::*;

use crate::accounts::{session::random_token, Account};
use crate::error::{Error, Result};
use crate::federation::delivery;
use crate::federation::urls::Urls;
use crate::projects::model::{Note, Project, ProjectFile};
use crate::projects::{federate, objects, store};
use crate::state::AppState;
use crate::storage::now_ms;
use crate::validate::{line, text, FieldErrors};

// --- notes ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
}

pub fn check_note(form: &NoteForm) -> Result<(String, String)> {
    let mut errors = FieldErrors::new();
    let title = errors.check("title", line(&form.title, MAX_TITLE, true));
    let body = errors.check("body", text(&form.body, MAX_NOTE, false));
    errors.into_result()?;
    match (title, body) {
        (Some(t), Some(b)) => Ok((t, b)),
        _ => Err(Error::Internal(anyhow::anyhow!("validated note missing"))),
    }
}

pub async fn create_note(
    state: &AppState,
    by: &Account,
    project: &Project,
    form: &NoteForm,
) -> Result<Note> {
    let urls = Urls::new(&state.config);
    let project_uri = uri_of(state, project);
    require_member(state, &project_uri, by).await?;
    let (title, body) = check_note(form)?;
    let uri = format!("{project_uri}/notes/{}", random_token());
    let me = urls.member(&by.handle);
    let now = now_ms();
    let mut tx = state.db.begin_write().await?;
    let id = store::insert_note(&mut tx, &uri, &project_uri, true, &me, &title, &body, now).await?;
    let note = Note {
        id,
        uri,
        project: project_uri,
        local: true,
        author: me.clone(),
        title,
        body,
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    let activity = objects::activity(&urls, "Create", &me, &objects::note(&note));
    federate::announce(state, &mut tx, project, &activity).await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(note)
}

/// Any member saves a new revision of a note; every save is kept.
pub async fn edit_note(
    state: &AppState,
    by: &Account,
    project: &Project,
    note: &Note,
    form: &NoteForm,
) -> Result<Note> {
    let urls = Urls::new(&state.config);
    let project_uri = uri_of(state, project);
    require_member(state, &project_uri, by).await?;
    let (title, body) = check_note(form)?;
    let me = urls.member(&by.handle);
    let mut tx = state.db.begin_write().await?;
    let revision = store::revise_note(&mut tx, note, &me, &title, &body).await?;
    let note = Note {
        title,
        body,
        revision,
        updated_at: now_ms(),
        ..note.clone()
    };
    let activity = objects::activity(&urls, "Update", &me, &objects::note(&note));
    federate::announce(state, &mut tx, project, &activity).await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(note)
}

// --- files ----------------------------------------------------------------------------------

/// Stores an uploaded file (already checked by [`crate::projects::files::check`]) and announces it.
pub async fn add_file(
    state: &AppState,
    by: &Account,
    project: &Project,
    name: &str,
    data: Vec<u8>,
) -> Result<ProjectFile> {
    let urls = Urls::new(&state.config);
    let project_uri = uri_of(state, project);
    require_member(state, &project_uri, by).await?;
    let checked = crate::projects::files::check(name, &data)?;
    let token = random_token();
    let key = format!("files/{token}.{}", checked.extension);
    state.media.put(&key, data.clone()).await?;
    let uri = format!("{project_uri}/files/{token}");
    let me = urls.member(&by.handle);
    let now = now_ms();
    let url = format!("{uri}/download");
    let written = async {
        let mut tx = state.db.begin_write().await?;
        let id = store::insert_file(
            &mut tx,
            &uri,
            &project_uri,
            true,
            &me,
            &checked.name,
            checked.media_type,
            data.len() as i64,
            &key,
            &url,
            now,
        )
        .await?;
        let file = ProjectFile {
            id,
            uri: uri.clone(),
            project: project_uri.clone(),
            local: true,
            author: me.clone(),
            name: checked.name.clone(),
            media_type: checked.media_type.to_string(),
            size: data.len() as i64,
            media_key: key.clone(),
            url: url.clone(),
            created_at: now,
        };
        let activity = objects::activity(&urls, "Create", &me, &objects::file(&file));
        federate::announce(state, &mut tx, project, &activity).await?;
        tx.commit().await?;
        Ok::<_, Error>(file)
    }
    .await;
    match written {
        Ok(file) => {
            delivery::wake(state);
            Ok(file)
        }
        Err(e) => {
            // Nothing stored half: the bytes go when the row could not be written.
            state.media.delete(&key).await;
            Err(e)
        }
    }
}
