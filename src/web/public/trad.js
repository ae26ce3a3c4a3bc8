/*
 * The hierarchy as an ARIA tree (WAI-ARIA Authoring Practices "tree view"): children are loaded
 * when a node is opened (/kodsystem/<id>/barn?kod=…); one node is in the tab order at a time;
 * arrows move, Right/Left open/close, Home/End jump, Enter opens the code's page.
 * Without this script the roots are plain links.
 */
(function () {
  'use strict';
  var tree = document.querySelector('ul.tree[data-tree]');
  if (!tree) return;
  var url = tree.getAttribute('data-tree');
  var base = url.replace(/\/barn$/, '');

  function node(n, level) {
    var li = document.createElement('li');
    li.setAttribute('role', 'treeitem');
    li.setAttribute('aria-level', String(level));
    li.tabIndex = -1;
    li.dataset.code = n.code;
    li.dataset.href = base + '/kod/' + encodeURIComponent(n.code);
    var span = document.createElement('span');
    span.className = 'node';
    var twisty = document.createElement('span');
    twisty.className = 'twisty';
    twisty.setAttribute('aria-hidden', 'true');
    var code = document.createElement('code');
    code.textContent = n.code;
    var a = document.createElement('a');
    a.href = li.dataset.href;
    a.tabIndex = -1;
    a.appendChild(code);
    a.appendChild(document.createTextNode(' ' + (n.display || '')));
    span.appendChild(twisty);
    span.appendChild(a);
    li.appendChild(span);
    if (n.children > 0) {
      li.setAttribute('aria-expanded', 'false');
      twisty.textContent = '▸';
    }
    span.addEventListener('click', function (e) {
      if (e.target.closest('a')) return;
      focus(li);
      toggle(li);
    });
    return li;
  }

  function load(li) {
    if (li.querySelector(':scope > ul')) return Promise.resolve();
    li.setAttribute('aria-busy', 'true');
    return fetch(url + '?kod=' + encodeURIComponent(li.dataset.code))
      .then(function (r) { return r.json(); })
      .then(function (children) {
        var ul = document.createElement('ul');
        ul.setAttribute('role', 'group');
        var level = Number(li.getAttribute('aria-level')) + 1;
        children.forEach(function (c) { ul.appendChild(node(c, level)); });
        li.appendChild(ul);
        li.removeAttribute('aria-busy');
      });
  }
  function expand(li) {
    if (li.getAttribute('aria-expanded') !== 'false') return Promise.resolve();
    return load(li).then(function () {
      li.setAttribute('aria-expanded', 'true');
      li.querySelector(':scope > .node .twisty').textContent = '▾';
    });
  }
  function collapse(li) {
    li.setAttribute('aria-expanded', 'false');
    li.querySelector(':scope > .node .twisty').textContent = '▸';
  }
  function toggle(li) {
    if (li.getAttribute('aria-expanded') === 'true') collapse(li);
    else expand(li);
  }
  function visible() {
    return Array.prototype.filter.call(tree.querySelectorAll('[role=treeitem]'), function (li) {
      for (var p = li.parentElement.closest('[role=treeitem]'); p; p = p.parentElement.closest('[role=treeitem]')) {
        if (p.getAttribute('aria-expanded') !== 'true') return false;
      }
      return true;
    });
  }
  function focus(li) {
    tree.querySelectorAll('[role=treeitem][tabindex="0"]').forEach(function (x) { x.tabIndex = -1; });
    li.tabIndex = 0;
    li.focus();
  }

  // replace the server's plain list with tree items
  var roots = Array.prototype.map.call(tree.children, function (li) {
    return { code: li.dataset.code, display: li.textContent.trim().slice(li.dataset.code.length).trim(), children: Number(li.dataset.children) };
  });
  tree.textContent = '';
  tree.setAttribute('role', 'tree');
  roots.forEach(function (r) { tree.appendChild(node(r, 1)); });
  if (tree.firstElementChild) tree.firstElementChild.tabIndex = 0;

  tree.addEventListener('keydown', function (e) {
    var li = e.target.closest('[role=treeitem]');
    if (!li) return;
    var items = visible();
    var i = items.indexOf(li);
    switch (e.key) {
      case 'ArrowDown': if (items[i + 1]) focus(items[i + 1]); break;
      case 'ArrowUp': if (items[i - 1]) focus(items[i - 1]); break;
      case 'Home': focus(items[0]); break;
      case 'End': focus(items[items.length - 1]); break;
      case 'ArrowRight':
        if (li.getAttribute('aria-expanded') === 'false') expand(li);
        else if (li.getAttribute('aria-expanded') === 'true') {
          var first = li.querySelector(':scope > ul > [role=treeitem]');
          if (first) focus(first);
        }
        break;
      case 'ArrowLeft':
        if (li.getAttribute('aria-expanded') === 'true') collapse(li);
        else {
          var parent = li.parentElement.closest('[role=treeitem]');
          if (parent) focus(parent);
        }
        break;
      case 'Enter': location.href = li.dataset.href; break;
      default: return;
    }
    e.preventDefault();
  });
})();
