"""What the modal forms of the panel share (Horizon's ModalFormView idiom):
the form posts back to the view's own URL, success and cancel lead back to
a tab, and the form is given the row it acts on, so it checks again on
submit what the page showed."""

from django.urls import reverse

from horizon import forms


class RowModalFormView(forms.ModalFormView):
    """Subclasses name their own URL (``submit_url_name``) and the URL
    argument that names the row (``url_kwarg``), say where success and
    cancel lead (``back_url``) and what the form is given besides Horizon's
    own arguments (``form_kwargs``: the row from ``get_row``, unless they
    say otherwise)."""
    submit_url_name = None
    url_kwarg = None

    @property
    def page_title(self):
        # A modal opened as a page (no JavaScript) is titled as the modal.
        return self.modal_header

    @property
    def submit_url(self):
        return reverse(self.submit_url_name,
                       args=(self.kwargs[self.url_kwarg],))

    def back_url(self):
        raise NotImplementedError

    def get_success_url(self):
        return self.back_url()

    @property
    def cancel_url(self):
        return self.back_url()

    def get_row(self):
        raise NotImplementedError

    def form_kwargs(self):
        return {"row": self.get_row()}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(self.form_kwargs())
        return kwargs
