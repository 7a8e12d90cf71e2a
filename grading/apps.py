from django.apps import AppConfig


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = "Grading"

    def ready(self):
        # The course pages (roster, join) show readiness without importing grading.
        from courses import readiness
        from grading.selectors import readiness_by_student

        readiness.register(readiness_by_student)
