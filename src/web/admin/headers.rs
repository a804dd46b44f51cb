//! Security headers on every admin response, and on the OAuth callback that ends on admin
//! pages: nothing may frame, cache, refer from or inject script into a page that holds the
//! owner's session.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{Error, web};
use futures_util::future::LocalBoxFuture;

use crate::web::AppState;

/// The admin pages' policy: no script at all, styles and the form targets from igfeed itself,
/// plus the origin of Instagram's authorize page, because the Connect form's redirect goes
/// there and some browsers apply `form-action` to redirects after a POST.
pub(crate) fn content_security_policy(authorize_url: &url::Url) -> String {
    let authorize = authorize_url.origin().ascii_serialization();
    // An opaque origin ("null") would be an invalid source expression: leave it out.
    let authorize = if authorize == "null" {
        String::new()
    } else {
        format!(" {authorize}")
    };
    // Instagram's CDN is https; a plain-http Instagram is the local sandbox, whose CDN shares
    // the authorize origin, so the status page preview may show its images.
    let sandbox_images = if authorize_url.scheme() == "http" {
        authorize.as_str()
    } else {
        ""
    };
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self' https: data:{sandbox_images}; \
         form-action 'self'{authorize}; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// Middleware adding the admin security headers; wrap every admin route with it:
/// `web::resource("/admin/x").wrap(admin_headers())`. The policy is read from the app state,
/// so it needs no arguments.
pub fn admin_headers() -> AdminHeaders {
    AdminHeaders
}

/// See [`admin_headers`].
#[derive(Clone, Copy, Debug, Default)]
pub struct AdminHeaders;

impl<S, B> Transform<S, ServiceRequest> for AdminHeaders
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = AdminHeadersService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AdminHeadersService {
            service: Rc::new(service),
        }))
    }
}

/// The service [`AdminHeaders`] wraps around a route.
pub struct AdminHeadersService<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for AdminHeadersService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let csp = req
            .app_data::<web::Data<AppState>>()
            .and_then(|state| HeaderValue::from_str(&state.admin.csp).ok())
            .unwrap_or(HeaderValue::from_static(FALLBACK_CSP));
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            let mut response = service.call(req).await?;
            let headers = response.headers_mut();
            // A page may widen the policy for itself (the status page's widget preview).
            if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
                headers.insert(header::CONTENT_SECURITY_POLICY, csp);
            }
            for (name, value) in FIXED {
                headers.insert(name.clone(), HeaderValue::from_static(value));
            }
            Ok(response)
        })
    }
}

/// Used only if the state is missing (it never is in igfeed): the same policy without the
/// authorize origin.
const FALLBACK_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; \
                            form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const FIXED: [(HeaderName, &str); 4] = [
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CACHE_CONTROL, "no-store"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
];

#[cfg(test)]
mod tests {
    use super::content_security_policy;

    #[test]
    fn the_policy_allows_forms_to_go_to_the_authorize_origin_only() {
        let url = url::Url::parse("https://www.instagram.com/oauth/authorize?x=1").ok();
        let policy = url.map(|u| content_security_policy(&u)).unwrap_or_default();
        assert!(
            policy.contains("form-action 'self' https://www.instagram.com;"),
            "{policy}"
        );
        assert!(policy.starts_with("default-src 'none';"), "{policy}");
    }
}
