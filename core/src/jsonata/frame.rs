//! Environments: frames of variable bindings, each with its enclosing frame.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::value::{Key, Value};

/// A frame of bindings, shared by the closures created in it.
pub(crate) type Env = Rc<Frame>;

/// Variable bindings (`$x := …`, lambda parameters, tuple bindings) and the enclosing frame.
pub(crate) struct Frame {
    vars: RefCell<Vec<(Key, Value)>>,
    parent: Option<Env>,
}

impl Frame {
    /// A frame with no enclosing one.
    pub(crate) fn root() -> Env {
        Rc::new(Frame {
            vars: RefCell::new(Vec::new()),
            parent: None,
        })
    }

    /// A new frame inside `parent`.
    pub(crate) fn child(parent: &Env) -> Env {
        Rc::new(Frame {
            vars: RefCell::new(Vec::new()),
            parent: Some(parent.clone()),
        })
    }

    /// Binds `name` in this frame (replacing an earlier binding of the same frame).
    pub(crate) fn bind(&self, key: Key, value: Value) {
        let mut vars = self.vars.borrow_mut();
        match vars.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => vars.push((key, value)),
        }
    }

    /// The value bound to the variable `name` here or in an enclosing frame.
    pub(crate) fn lookup(&self, name: &str) -> Option<Value> {
        self.find(|k| matches!(k, Key::Var(n) if &**n == name))
    }

    /// The context bound to an ancestor's label.
    pub(crate) fn lookup_label(&self, label: usize) -> Option<Value> {
        self.find(|k| *k == Key::Label(label))
    }

    fn find(&self, test: impl Fn(&Key) -> bool) -> Option<Value> {
        let mut frame = self;
        loop {
            if let Some((_, v)) = frame.vars.borrow().iter().find(|(k, _)| test(k)) {
                return Some(v.clone());
            }
            frame = frame.parent.as_deref()?;
        }
    }

    /// Drops every binding: breaks the cycles a closure stored in its own frame makes.
    pub(crate) fn clear(&self) {
        let vars = std::mem::take(&mut *self.vars.borrow_mut());
        drop(vars);
    }
}

/// The frames that hold functions, cleared when an evaluation ends so closures that refer
/// to themselves are freed.
#[derive(Default)]
pub(crate) struct Frames(Vec<Weak<Frame>>);

impl Frames {
    pub(crate) fn track(&mut self, env: &Env) {
        self.0.push(Rc::downgrade(env));
    }
}

impl Drop for Frames {
    fn drop(&mut self) {
        for frame in self.0.drain(..) {
            if let Some(frame) = frame.upgrade() {
                frame.clear();
            }
        }
    }
}
