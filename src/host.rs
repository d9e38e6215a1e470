//! Where the app runs: the whole page (index.html's `#app[data-raftlab-page]`), or the shadow
//! root of a `<raft-lab>` element on someone else's page (www/raft-lab.js calls the exported
//! `mount`). Each element has its own wasm instance, so this is per instance.
//!
//! In an element, everything the full page does to the whole document is scoped to the
//! element's root: lookups by id, keyboard and click listeners, the theme and the drop hint,
//! the panic report; and the host page's address is neither read nor written.

use std::cell::RefCell;
use web_sys::Element;

thread_local! {
    static MOUNT: RefCell<Option<Element>> = const { RefCell::new(None) };
    static BASE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Runs the app inside `root`, an element's own root (not the whole page), with raftlab's
/// own files (the lessons) at `base` (the address of its folder, ending in `/`). Once.
pub fn set_element_root(root: Element, base: String) {
    MOUNT.with(|m| *m.borrow_mut() = Some(root));
    BASE.with(|b| *b.borrow_mut() = base);
}

/// The address of raftlab's own file `path` (such as `lessons/index.json`): relative to the
/// page on the full page, in raftlab's folder for an element on another page.
pub fn asset(path: &str) -> String {
    BASE.with(|b| format!("{}{path}", b.borrow()))
}

/// The element's root, when the app runs in a `<raft-lab>` element.
pub fn element_root() -> Option<Element> {
    MOUNT.with(|m| m.borrow().clone())
}

/// Whether the app runs in a `<raft-lab>` element (not the full page nor a frame of it).
pub fn in_element() -> bool {
    MOUNT.with(|m| m.borrow().is_some())
}

/// The element with this id in the app (`document.getElementById` on the full page; a
/// shadow root hides its elements from the document).
pub fn by_id(id: &str) -> Option<Element> {
    match element_root() {
        Some(root) => root.query_selector(&format!("#{id}")).ok().flatten(),
        None => gloo_utils::document().get_element_by_id(id),
    }
}

/// What stands for the document's root element: the classes and attributes the stylesheet
/// reads (`embed`, `readonly`, `data-theme`, `data-drop`) go on it.
pub fn doc_root() -> Option<Element> {
    element_root().or_else(|| gloo_utils::document().document_element())
}

/// Where the app listens to keys and clicks: the element's root, or the whole document.
pub fn events() -> web_sys::EventTarget {
    match element_root() {
        Some(root) => root.into(),
        None => gloo_utils::document().into(),
    }
}
