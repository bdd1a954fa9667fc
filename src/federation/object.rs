//! One way to serve a local federated object (a post, an event, a task, a note, a file…) at
//! its address: browsers get the feature's page, servers asking for ActivityStreams get its
//! document, a deleted object answers 410 (a `Tombstone` for servers), and what the reader may
//! not see answers 404, as if it did not exist.
//!
//! A feature describes its object with [`FederatedObject`] (its id, type, deletion and
//! audience) and the serving of one request with [`ObjectRoute`] (who reads, whether they may,
//! the document, the page); [`serve`] runs the steps in the same order for every kind. Adding a
//! kind of federated object is one implementation of each trait.

use std::future::Future;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde::Serialize;

use super::negotiate::{activity_json, vary_accept, wants_activity_json};
use super::remote::RemoteActor;
use super::{tombstones, viewer, Context};
use crate::error::{Error, Result};

/// Who an object is meant for, as far as serving it needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Anyone, signed or not.
    Public,
    /// This space's members only: never served to another server.
    Members,
    /// Some people (followers, named actors, participants…): the feature decides per reader.
    Restricted,
}

/// A local object that other servers fetch by its id.
pub trait FederatedObject {
    /// Its ActivityStreams id, the URL it is served at.
    fn id(&self) -> &str;
    /// Its ActivityStreams type (`Note`, `Event`, `Page`…), the `formerType` of its Tombstone.
    fn kind(&self) -> &str;
    /// When it was deleted, for an object whose row is kept after deletion.
    fn deleted_at(&self) -> Option<i64>;
    fn audience(&self) -> Audience;
}

/// What is left of an object whose row was removed when it was deleted.
#[derive(Debug, Clone)]
pub struct Tombstone {
    pub id: String,
    pub former_type: String,
    pub deleted_at: i64,
}

/// What looking up an object's address found.
#[derive(Debug)]
pub enum Found<O> {
    Live(O),
    /// Deleted, and only its tombstone is left.
    Deleted(Tombstone),
    Missing,
}

impl<O> Found<O> {
    /// The object, or the answer its address gives when it is gone (410) or was never
    /// there (404).
    pub fn live(self) -> Result<O> {
        match self {
            Found::Live(o) => Ok(o),
            Found::Deleted(_) => Err(Error::Gone),
            Found::Missing => Err(Error::NotFound),
        }
    }
}

impl<O> From<Option<O>> for Found<O> {
    fn from(o: Option<O>) -> Self {
        o.map(Found::Live).unwrap_or(Found::Missing)
    }
}

/// The parts of a request to an object's address that serving it looks at.
#[derive(Debug, Clone)]
pub struct ObjectRequest {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    /// Whether this address negotiates (HTML or ActivityStreams by `Accept`). A fixed
    /// form of the object (an event's `.ics`) does not: it never serves the document and
    /// its answer does not vary on `Accept`.
    negotiated: bool,
}

impl ObjectRequest {
    pub fn new(method: Method, uri: Uri, headers: HeaderMap) -> Self {
        ObjectRequest {
            method,
            uri,
            headers,
            negotiated: true,
        }
    }

    /// The same request, at an address that does not negotiate (see [`Self::negotiated`]).
    pub fn fixed(mut self) -> Self {
        self.negotiated = false;
        self
    }

    /// Whether the reader is a server asking for the ActivityStreams document.
    pub fn wants_document(&self) -> bool {
        self.negotiated && wants_activity_json(&self.headers)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ObjectRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        Ok(ObjectRequest::new(
            parts.method.clone(),
            parts.uri.clone(),
            parts.headers.clone(),
        ))
    }
}

/// A feature's side of serving one request for one kind of object.
pub trait ObjectRoute: Send + Sync + Sized {
    type Object: FederatedObject + Send + Sync;
    /// Who reads, in the feature's terms.
    type Viewer: Send + Sync;
    type Document: Serialize + Send;

    /// The reader behind a browser's request (a signed-in member, or anonymous).
    fn browser(&self) -> Self::Viewer;
    /// The reader behind a server's request: the actor that signed it, if any.
    fn server(&self, signer: Option<RemoteActor>) -> Self::Viewer;
    /// The floor's context, when this kind of object looks at who signed a request for its
    /// document (then [`Self::signer`] checks signatures); `None` (the default) when it does
    /// not.
    fn context(&self) -> Option<&Context> {
        None
    }
    /// The actor that signed a request for the document (`federation::viewer`), `None` when
    /// unsigned or when this kind of object does not look at signatures;
    /// [`Error::Unauthorized`] when a signature does not hold. The default is the one rule
    /// every kind uses: [`viewer::signed_fetcher`] with [`Self::context`].
    fn signer(
        &self,
        request: &ObjectRequest,
    ) -> impl Future<Output = Result<Option<RemoteActor>>> + Send {
        async move {
            match self.context() {
                Some(ctx) => {
                    viewer::signed_fetcher(ctx, &request.method, &request.uri, &request.headers)
                        .await
                }
                None => Ok(None),
            }
        }
    }
    /// Whether `viewer` may see `object` (asked unless the object is public; a members-only
    /// object is never served to a server).
    fn may_see(
        &self,
        object: &Self::Object,
        viewer: &Self::Viewer,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Whether a browser gets 410 for this object instead of its page: when it is deleted,
    /// unless the feature keeps showing what is left of it.
    fn gone_for_browsers(&self, object: &Self::Object) -> bool {
        object.deleted_at().is_some()
    }
    /// Its ActivityStreams document (the feature's builder).
    fn document(
        &self,
        object: &Self::Object,
    ) -> impl Future<Output = Result<Self::Document>> + Send;
    /// Its page for browsers.
    fn page(
        self,
        object: Self::Object,
        viewer: Self::Viewer,
    ) -> impl Future<Output = Result<Response>> + Send;
}

/// Serves what was `found` at an object's address:
/// - nothing: 404; only a tombstone: 410 (a `Tombstone` for servers);
/// - for a server: a signature that does not hold is 401; a members-only object, or one the
///   signer may not see, 404; a deleted one its `Tombstone` (410); else its document;
/// - for a browser: what the viewer may not see is 404, a deleted object 410 (unless the
///   feature still shows it), else the feature's page, marked as varying on `Accept`.
pub async fn serve<R: ObjectRoute>(
    request: &ObjectRequest,
    found: Found<R::Object>,
    route: R,
) -> Result<Response> {
    let object = match found {
        Found::Live(o) => o,
        Found::Deleted(t) => {
            if !request.wants_document() {
                return Err(Error::Gone);
            }
            return Ok(tombstones::gone(&t.id, &t.former_type, t.deleted_at, true));
        }
        Found::Missing => return Err(Error::NotFound),
    };
    if request.wants_document() {
        let signer = match route.signer(request).await {
            Ok(signer) => signer,
            Err(Error::Unauthorized) => return Ok(super::viewer::refused()),
            Err(e) => return Err(e),
        };
        let viewer = route.server(signer);
        let visible = match object.audience() {
            Audience::Public => true,
            Audience::Members => false,
            Audience::Restricted => route.may_see(&object, &viewer).await?,
        };
        if !visible {
            return Err(Error::NotFound);
        }
        if let Some(deleted) = object.deleted_at() {
            return Ok(tombstones::gone(object.id(), object.kind(), deleted, true));
        }
        return Ok(activity_json(&route.document(&object).await?));
    }
    let viewer = route.browser();
    let visible = match object.audience() {
        Audience::Public => true,
        Audience::Members | Audience::Restricted => route.may_see(&object, &viewer).await?,
    };
    if !visible {
        return Err(Error::NotFound);
    }
    if route.gone_for_browsers(&object) {
        return Err(Error::Gone);
    }
    let page = route.page(object, viewer).await?;
    Ok(if request.negotiated {
        vary_accept(page)
    } else {
        page
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::IntoResponse;

    struct Thing {
        deleted_at: Option<i64>,
        audience: Audience,
    }

    impl FederatedObject for Thing {
        fn id(&self) -> &str {
            "https://here.example/things/1"
        }
        fn kind(&self) -> &str {
            "Note"
        }
        fn deleted_at(&self) -> Option<i64> {
            self.deleted_at
        }
        fn audience(&self) -> Audience {
            self.audience
        }
    }

    /// Lets everyone see everything, or no one anything restricted.
    struct Route {
        allow: bool,
        bad_signature: bool,
    }

    impl ObjectRoute for Route {
        type Object = Thing;
        type Viewer = ();
        type Document = serde_json::Value;
        fn browser(&self) {}
        fn server(&self, _: Option<RemoteActor>) {}
        async fn signer(&self, _: &ObjectRequest) -> Result<Option<RemoteActor>> {
            if self.bad_signature {
                Err(Error::Unauthorized)
            } else {
                Ok(None)
            }
        }
        async fn may_see(&self, _: &Thing, _: &()) -> Result<bool> {
            Ok(self.allow)
        }
        async fn document(&self, o: &Thing) -> Result<serde_json::Value> {
            Ok(serde_json::json!({ "id": o.id() }))
        }
        async fn page(self, _: Thing, _: ()) -> Result<Response> {
            Ok("page".into_response())
        }
    }

    fn request(json: bool) -> ObjectRequest {
        let mut headers = HeaderMap::new();
        if json {
            headers.insert(
                header::ACCEPT,
                HeaderValue::from_static("application/activity+json"),
            );
        }
        ObjectRequest::new(Method::GET, Uri::from_static("/things/1"), headers)
    }

    fn thing(audience: Audience, deleted_at: Option<i64>) -> Found<Thing> {
        Found::Live(Thing {
            deleted_at,
            audience,
        })
    }

    const ALLOW: Route = Route {
        allow: true,
        bad_signature: false,
    };

    fn status(r: Result<Response>) -> StatusCode {
        match r {
            Ok(r) => r.status(),
            Err(e) => e.into_response().status(),
        }
    }

    #[tokio::test]
    async fn documents_pages_and_tombstones() {
        let doc = serve(&request(true), thing(Audience::Public, None), ALLOW)
            .await
            .unwrap();
        assert_eq!(doc.status(), StatusCode::OK);
        assert!(doc.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/activity+json"));
        let page = serve(&request(false), thing(Audience::Public, None), ALLOW)
            .await
            .unwrap();
        assert_eq!(page.headers()[header::VARY], "Accept");
        let fixed = serve(&request(true).fixed(), thing(Audience::Public, None), ALLOW)
            .await
            .unwrap();
        assert!(fixed.headers().get(header::VARY).is_none());

        let gone = serve(&request(true), thing(Audience::Public, Some(1)), ALLOW)
            .await
            .unwrap();
        assert_eq!(gone.status(), StatusCode::GONE);
        let tombstone = Found::<Thing>::Deleted(Tombstone {
            id: "https://here.example/things/2".into(),
            former_type: "Page".into(),
            deleted_at: 1,
        });
        assert_eq!(
            status(serve(&request(true), tombstone, ALLOW).await),
            StatusCode::GONE
        );
        assert_eq!(
            status(serve(&request(false), Found::<Thing>::Missing, ALLOW).await),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(serve(&request(false), thing(Audience::Public, Some(1)), ALLOW).await),
            StatusCode::GONE
        );
    }

    #[tokio::test]
    async fn what_the_reader_may_not_see_is_missing() {
        let deny = || Route {
            allow: false,
            bad_signature: false,
        };
        assert_eq!(
            status(serve(&request(true), thing(Audience::Members, None), ALLOW).await),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(serve(&request(false), thing(Audience::Members, None), ALLOW).await),
            StatusCode::OK
        );
        assert_eq!(
            status(serve(&request(true), thing(Audience::Restricted, Some(1)), deny()).await),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(serve(&request(false), thing(Audience::Restricted, None), deny()).await),
            StatusCode::NOT_FOUND
        );
        let bad = Route {
            allow: true,
            bad_signature: true,
        };
        assert_eq!(
            status(serve(&request(true), thing(Audience::Public, None), bad).await),
            StatusCode::UNAUTHORIZED
        );
    }
}
