//! Downloads a file from the page's own origin as bytes, reporting progress as it streams.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

fn describe(err: JsValue) -> String {
    err.as_string()
        .or_else(|| {
            Reflect::get(&err, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{err:?}"))
}

/// Fetches `url`, calling `progress(received, total)` as chunks arrive (`total` is 0 when
/// the server does not say).
pub async fn fetch_bytes(url: &str, mut progress: impl FnMut(u64, u64)) -> Result<Vec<u8>, String> {
    // The same code runs on the page and in the worker; each global has its own fetch.
    let global = js_sys::global();
    let request = if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.fetch_with_str(url)
    } else if let Some(worker) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        worker.fetch_with_str(url)
    } else {
        return Err("no fetch in this context".into());
    };
    let response: Response = JsFuture::from(request)
        .await
        .map_err(|e| format!("{url}: {}", describe(e)))?
        .dyn_into()
        .map_err(|_| format!("{url}: not a response"))?;
    if !response.ok() {
        let status = response.status();
        let meaning = match status {
            404 => " (not found on this site)",
            401 | 403 => " (this site refuses to serve it)",
            _ => "",
        };
        return Err(format!("{url}: HTTP {status}{meaning}"));
    }
    let total = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let Some(body) = response.body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| format!("{url}: no stream reader"))?;
    let mut bytes = Vec::with_capacity(total as usize);
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| format!("{url}: {}", describe(e)))?;
        let done = Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        let value = Reflect::get(&chunk, &"value".into()).map_err(describe)?;
        let array: Uint8Array = value.dyn_into().map_err(|_| format!("{url}: bad chunk"))?;
        let start = bytes.len();
        bytes.resize(start + array.length() as usize, 0);
        array.copy_to(&mut bytes[start..]);
        progress(bytes.len() as u64, total);
    }
    Ok(bytes)
}
