package runbooks

import (
	"errors"
	"fmt"
	"text/template/parse"
)

// maxSteps bounds the work of one rendering, counted in template nodes
// executed. The output cap (maxRender) alone does not bound it: nested
// {{ range .Params }} that write nothing multiply their iterations and ran
// for minutes. text/template has no step hook, so the bound is computed
// before rendering instead, from the parse tree and the number of params:
// the check allows only {{ range .Params }}, no {{ template }} and no
// {{ define }}, so every node runs at most once per iteration of each range
// around it, and the count below is an upper bound on the nodes executed.
// A node's own cost is small: text it builds draws on the output budget.
// 100,000 steps render in milliseconds; a real message needs a few hundred.
const maxSteps = 100_000

// maxRunbookSteps bounds the steps of all a runbook's templates together,
// as its load renders each once to check it.
const maxRunbookSteps = 10 * maxSteps

// errTooMuchWork is the start of the message for a template over budget.
var errTooMuchWork = errors.New("the template does too much work")

// checkWork refuses a template that could execute more than maxSteps
// nodes with params params.
func checkWork(root *parse.ListNode, params int) error {
	if steps := work(root, params); steps > maxSteps {
		return fmt.Errorf("%w: with %d params its ranges over .Params could run more than %d steps, "+
			"the most one template may; nest fewer ranges", errTooMuchWork, params, maxSteps)
	}
	return nil
}

// work is an upper bound on the nodes one rendering of n executes when
// .Params has p entries, saturating just above maxSteps.
func work(n parse.Node, p int) int {
	switch n := n.(type) {
	case nil:
		return 0
	case *parse.ListNode:
		if n == nil {
			return 0
		}
		total := 0
		for _, c := range n.Nodes {
			total = satAdd(total, work(c, p))
		}
		return total
	case *parse.ActionNode:
		return satAdd(1, work(n.Pipe, p))
	case *parse.PipeNode:
		if n == nil {
			return 0
		}
		total := 1 + len(n.Decl)
		for _, c := range n.Cmds {
			total = satAdd(total, work(c, p))
		}
		return total
	case *parse.CommandNode:
		total := 1
		for _, a := range n.Args {
			total = satAdd(total, work(a, p))
		}
		return total
	case *parse.ChainNode:
		return satAdd(1, work(n.Node, p))
	case *parse.IfNode:
		return branchWork(&n.BranchNode, 1, p)
	case *parse.WithNode:
		return branchWork(&n.BranchNode, 1, p)
	case *parse.RangeNode:
		return branchWork(&n.BranchNode, p, p)
	case *parse.TemplateNode:
		return satAdd(1, work(n.Pipe, p))
	}
	return 1 // text, comments, fields, variables, constants, break, continue
}

// branchWork counts a branch whose body runs times times; its else runs
// once at most.
func branchWork(b *parse.BranchNode, times, p int) int {
	total := satAdd(1, work(b.Pipe, p))
	total = satAdd(total, satMul(times, work(b.List, p)))
	return satAdd(total, work(b.ElseList, p))
}

const saturated = maxSteps + 1

func satAdd(a, b int) int { return min(a+b, saturated) }

func satMul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > saturated/b {
		return saturated
	}
	return min(a*b, saturated)
}
